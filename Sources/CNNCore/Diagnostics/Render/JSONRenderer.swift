/// The `cnnc.diagnostics/1` object of `cli.md`: 1-based lines, columns in Unicode scalars,
/// exclusive ends.
public enum JSONRenderer {
  public static func render(_ diagnostics: [Diagnostic], source: SourceFile) -> String {
    value(diagnostics, sources: diagnostics.map { _ in source }).rendered() + "\n"
  }

  /// Several files (one `check` run over many) render into one object.
  public static func value(_ diagnostics: [Diagnostic], sources: [SourceFile]) -> JSONValue {
    .object([
      ("schema", .string("cnnc.diagnostics/1")),
      ("diagnostics", .array(zip(diagnostics, sources).map { entry($0, source: $1) })),
    ])
  }

  static func entry(_ diagnostic: Diagnostic, source: SourceFile) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("severity", .string(diagnostic.severity.rawValue)),
      ("id", .string(diagnostic.id.rawValue)),
      ("file", .string(source.name)),
    ]
    members += span(diagnostic.range, source)
    members.append(("message", .string(diagnostic.message)))
    if let label = diagnostic.label { members.append(("label", .string(label))) }
    members.append(("notes", .array(diagnostic.notes.map { note in
      var fields: [(String, JSONValue)] = [("message", .string(note.message))]
      if let range = note.range {
        let start = source.location(of: range.start)
        fields += [("line", .int(start.line)), ("column", .int(start.column))]
      }
      return .object(fields)
    })))
    members.append(("fixits", .array(diagnostic.fixIts.compactMap { fixIt in
      guard let edit = fixIt.edits.first else { return nil }
      return .object([("message", .string(fixIt.message))] + span(edit.range, source)
        + [("replacement", .string(edit.replacement))])
    })))
    return .object(members)
  }

  static func span(_ range: SourceRange, _ source: SourceFile) -> [(String, JSONValue)] {
    let start = source.location(of: range.start)
    let end = source.location(of: range.end)
    return [("line", .int(start.line)), ("column", .int(start.column)),
            ("endLine", .int(end.line)), ("endColumn", .int(end.column))]
  }
}
