/// Clang-style text: `file:line:col: error: message [id]`, the source line, a caret under the
/// range, then notes and fix-its in the same shape, and a summary line.
public struct TextRenderer {
  public var useColor: Bool
  /// Source lines longer than this are shown as a window around the caret.
  static let maximumShownColumns = 160

  public init(useColor: Bool = false) {
    self.useColor = useColor
  }

  public func render(_ diagnostics: [Diagnostic], source: SourceFile) -> String {
    var output = ""
    for diagnostic in diagnostics {
      output += header(source, diagnostic.range, diagnostic.severity.rawValue,
                       diagnostic.message + " [\(diagnostic.id.rawValue)]")
      output += snippet(source, diagnostic.range, label: diagnostic.label)
      for note in diagnostic.notes {
        if let range = note.range {
          output += header(source, range, "note", note.message)
          output += snippet(source, range, label: nil)
        } else {
          output += paint("note: ", "1;30") + note.message + "\n"
        }
      }
      for fixIt in diagnostic.fixIts {
        guard let edit = fixIt.edits.first else { continue }
        output += header(source, edit.range, "fix-it", fixIt.message)
        output += snippet(source, edit.range, label: nil, replacement: edit.replacement)
      }
    }
    let summary = Self.summary(diagnostics)
    if !summary.isEmpty { output += summary + "\n" }
    return output
  }

  /// "1 error and 2 warnings generated", as Clang ends its output.
  public static func summary(_ diagnostics: [Diagnostic]) -> String {
    let errors = diagnostics.filter { $0.severity == .error }.count
    let warnings = diagnostics.filter { $0.severity == .warning }.count
    var parts: [String] = []
    if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
    if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
    return parts.isEmpty ? "" : parts.joined(separator: " and ") + " generated."
  }

  private func header(_ source: SourceFile, _ range: SourceRange, _ severity: String, _ message: String) -> String {
    let location = source.location(of: range.start)
    let color = severity == "error" ? "1;31" : severity == "warning" ? "1;35" : severity == "note" ? "1;30" : "1;32"
    return paint("\(source.name):\(location.line):\(location.column): ", "1")
      + paint("\(severity): ", color) + paint(message, "1") + "\n"
  }

  private func snippet(_ source: SourceFile, _ range: SourceRange, label: String?, replacement: String? = nil) -> String {
    let lineIndex = source.lineIndex(of: min(range.start, source.bytes.count))
    let startColumn = source.location(of: range.start).column - 1
    let lineEnd = source.lineRange(lineIndex).upperBound
    let endColumn = source.location(of: min(range.end, lineEnd)).column - 1
    let (shown, offset) = window(source, line: lineIndex, around: startColumn)
    let gutter = String(lineIndex + 1)
    let blank = String(repeating: " ", count: gutter.count)
    var text = " \(gutter) | " + shown + "\n"
    let caretStart = max(0, startColumn - offset)
    let width = max(1, min(endColumn, offset + Self.maximumShownColumns) - startColumn)
    let marker = "^" + String(repeating: "~", count: max(0, width - 1))
    text += " \(blank) | " + String(repeating: " ", count: caretStart)
      + paint(marker, "1;32") + (label.map { " " + $0 } ?? "") + "\n"
    if let replacement, !replacement.isEmpty {
      text += " \(blank) | " + String(repeating: " ", count: caretStart) + paint(replacement, "32") + "\n"
    }
    return text
  }

  /// The part of line `line` that is shown (tabs as spaces), and the column it starts at.
  ///
  /// Columns are counted on the bytes as `SourceFile.location` counts them, and only the shown
  /// window is decoded: a hundred diagnostics on a 1 MB line must not decode it a hundred times.
  private func window(_ source: SourceFile, line: Int, around column: Int) -> (String, Int) {
    let range = source.lineRange(line)
    let bytes = source.bytes
    var count = 0
    for index in range where bytes[index] & 0xC0 != 0x80 { count += 1 }
    let first = count > Self.maximumShownColumns
      ? max(0, min(column - 20, count - Self.maximumShownColumns)) : 0
    var start = range.lowerBound
    var end = range.upperBound
    var scalar = 0
    for index in range where bytes[index] & 0xC0 != 0x80 {
      if scalar == first && first > 0 { start = index }
      if scalar == first + Self.maximumShownColumns {
        end = index
        break
      }
      scalar += 1
    }
    let text = String(decoding: bytes[start..<end], as: UTF8.self)
    var shown = String.UnicodeScalarView()
    shown.append(contentsOf: text.unicodeScalars.lazy.map { $0 == "\t" ? " " : $0 })
    return (String(shown), first)
  }

  private func paint(_ text: String, _ code: String) -> String {
    useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }
}
