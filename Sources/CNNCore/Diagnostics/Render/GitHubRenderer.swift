/// GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`, one per line,
/// so diagnostics appear as annotations on the pull request.
public enum GitHubRenderer {
  public static func render(_ diagnostics: [Diagnostic], source: SourceFile) -> String {
    diagnostics.map { diagnostic in
      let start = source.location(of: diagnostic.range.start)
      let end = source.location(of: diagnostic.range.end)
      let command = diagnostic.severity == .note ? "notice" : diagnostic.severity.rawValue
      let notes = diagnostic.notes.map { "\n" + $0.message }.joined()
      let fixes = diagnostic.fixIts.map { "\nfix-it: " + $0.message }.joined()
      return "::\(command) file=\(escapeProperty(source.name)),line=\(start.line),col=\(start.column),"
        + "endLine=\(end.line),endColumn=\(end.column),title=\(escapeProperty(diagnostic.id.rawValue))::"
        + escapeData(diagnostic.message + notes + fixes)
    }.map { $0 + "\n" }.joined()
  }

  /// GitHub's escaping for the message part (`%`, CR, LF).
  static func escapeData(_ text: String) -> String {
    text.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
  }

  /// Properties additionally escape `:` and `,`.
  static func escapeProperty(_ text: String) -> String {
    escapeData(text).replacingAll(":", "%3A").replacingAll(",", "%2C")
  }
}

extension String {
  /// Replaces every occurrence of `target` (no Foundation needed).
  func replacingAll(_ target: String, _ replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
