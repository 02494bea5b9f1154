/// A SARIF 2.1.0 log (OASIS), the format code-scanning services ingest.
///
/// One run, the tool `cnnc` with one rule per diagnostic id seen; each result carries its
/// region (1-based, `endColumn` exclusive, columns in Unicode scalars as SARIF's default
/// `columnKind: unicodeCodePoints` says), related locations for notes and fixes for fix-its.
public enum SARIFRenderer {
  public static func render(_ diagnostics: [Diagnostic], source: SourceFile, version: String) -> String {
    value(diagnostics, sources: diagnostics.map { _ in source }, version: version).rendered() + "\n"
  }

  public static func value(_ diagnostics: [Diagnostic], sources: [SourceFile], version: String) -> JSONValue {
    let ids = Array(Set(diagnostics.map(\.id))).sorted()
    let rules: [JSONValue] = ids.map { id in
      .object([("id", .string(id.rawValue)),
               ("helpUri", .string("https://github.com/cnnc/cnnc/blob/main/docs/diagnostics.md"))])
    }
    let results = zip(diagnostics, sources).map { diagnostic, source in
      result(diagnostic, source: source, ruleIndex: ids.firstIndex(of: diagnostic.id) ?? 0)
    }
    return .object([
      ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
      ("version", .string("2.1.0")),
      ("runs", .array([.object([
        ("tool", .object([("driver", .object([
          ("name", .string("cnnc")), ("version", .string(version)),
          ("informationUri", .string("https://github.com/cnnc/cnnc")),
          ("rules", .array(rules)),
        ]))])),
        ("columnKind", .string("unicodeCodePoints")),
        ("results", .array(results)),
      ])])),
    ])
  }

  static func result(_ diagnostic: Diagnostic, source: SourceFile, ruleIndex: Int) -> JSONValue {
    let level = diagnostic.severity == .note ? "note" : diagnostic.severity.rawValue
    var members: [(String, JSONValue)] = [
      ("ruleId", .string(diagnostic.id.rawValue)), ("ruleIndex", .int(ruleIndex)),
      ("level", .string(level)), ("message", .object([("text", .string(diagnostic.message))])),
      ("locations", .array([location(diagnostic.range, source)])),
    ]
    let related = diagnostic.notes.enumerated().compactMap { position, note -> JSONValue? in
      guard let range = note.range else { return nil }
      guard case .object(var fields) = location(range, source) else { return nil }
      fields.insert(("id", .int(position)), at: 0)
      fields.append(("message", .object([("text", .string(note.message))])))
      return .object(fields)
    }
    if !related.isEmpty { members.append(("relatedLocations", .array(related))) }
    if !diagnostic.fixIts.isEmpty {
      members.append(("fixes", .array(diagnostic.fixIts.map { fix($0, source) })))
    }
    return .object(members)
  }

  static func region(_ range: SourceRange, _ source: SourceFile) -> JSONValue {
    let start = source.location(of: range.start)
    let end = source.location(of: range.end)
    return .object([("startLine", .int(start.line)), ("startColumn", .int(start.column)),
                    ("endLine", .int(end.line)), ("endColumn", .int(end.column))])
  }

  static func location(_ range: SourceRange, _ source: SourceFile) -> JSONValue {
    .object([("physicalLocation", .object([
      ("artifactLocation", .object([("uri", .string(source.name))])),
      ("region", region(range, source)),
    ]))])
  }

  static func fix(_ fixIt: FixIt, _ source: SourceFile) -> JSONValue {
    .object([
      ("description", .object([("text", .string(fixIt.message))])),
      ("artifactChanges", .array([.object([
        ("artifactLocation", .object([("uri", .string(source.name))])),
        ("replacements", .array(fixIt.edits.map { edit in
          .object([("deletedRegion", region(edit.range, source)),
                   ("insertedContent", .object([("text", .string(edit.replacement))]))])
        })),
      ])])),
    ])
  }
}
