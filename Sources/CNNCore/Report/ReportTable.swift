import Foundation

/// `cnnc report` as a table for people: `text` (torchinfo-style, aligned columns) and
/// `markdown` (a GitHub table), both with totals in exact figures and human units.
///
/// Rows come from `ReportOutline`: names are indented two spaces per block level; an expanded
/// block shows its last output and `--` for figures (its layers follow), a block folded by
/// `--depth` shows the sums of its layers, so every figure column still adds up to the total.
public enum ReportTable {
  static let columns = ["Layer", "Kind", "Output", "Params", "MACs", "Memory"]

  public static func text(_ report: Report, outline: ReportOutline) -> String {
    let body = outline.rows.map { cells($0, report, indent: String(repeating: "  ", count: $0.depth)) }
    let table = [columns] + body
    var widths = Array(repeating: 0, count: columns.count)
    for row in table {
      for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
    }
    func line(_ row: [String]) -> String {
      let padded = row.enumerated().map { column, cell in
        let fill = String(repeating: " ", count: widths[column] - cell.count)
        return column < 3 ? cell + fill : fill + cell
      }
      return padded.joined(separator: "  ").trimmingTrailingSpaces()
    }
    let rule = String(repeating: "=", count: widths.reduce(0, +) + 2 * (columns.count - 1))
    var lines = [heading(report), rule, line(columns), rule]
    lines += body.map(line)
    lines.append(rule)
    let summary = totals(report)
    let labelWidth = summary.map(\.label.count).max() ?? 0
    lines += summary.map { $0.label + ": " + String(repeating: " ", count: labelWidth - $0.label.count) + $0.value }
    lines.append(rule)
    return lines.joined(separator: "\n") + "\n"
  }

  public static func markdown(_ report: Report, outline: ReportOutline) -> String {
    var lines = ["## \(report.network)", "", "\(heading(report))", ""]
    lines.append("| " + columns.joined(separator: " | ") + " |")
    lines.append("|---|---|---|---:|---:|---:|")
    for row in outline.rows {
      var cells = cells(row, report, indent: String(repeating: "&emsp;", count: row.depth))
      if row.kind != .layer { cells[0] = cells[0].replacingFirstWord { "**\($0)**" } }
      lines.append("| " + cells.map(escapeMarkdown).joined(separator: " | ") + " |")
    }
    lines += ["", "| Total | |", "|---|---:|"]
    lines += totals(report).map { "| \($0.label) | \($0.value) |" }
    return lines.joined(separator: "\n") + "\n"
  }

  static func heading(_ report: Report) -> String {
    let outputs = report.outputs.map(\.description).joined(separator: ", ")
    return "\(report.network) (\(report.file)): input \(report.input), "
      + "output\(report.outputs.count == 1 ? "" : "s") \(outputs)"
  }

  /// Layer, kind, output, params, MACs, memory for one outline row.
  static func cells(_ row: ReportOutline.Row, _ report: Report, indent: String) -> [String] {
    let entries = row.indices.compactMap { report.entries.indices.contains($0) ? report.entries[$0] : nil }
    let output = entries.last?.output.description ?? ""
    switch row.kind {
    case .layer:
      guard let entry = entries.first else { return [indent + row.name, "", "", "", "", ""] }
      let cost = entry.cost
      return [indent + row.name, entry.kind.rawValue, output, HumanUnits.grouped(cost.params),
              HumanUnits.grouped(cost.macs), HumanUnits.bytes(cost.outputBytes)]
    case .expandedBlock:
      return [indent + row.name, "block", output, "--", "--", "--"]
    case .foldedBlock:
      // Every total fits in Int64, so partial sums of non-negative figures do too.
      let params = checkedSum(entries.map(\.cost.params)) ?? 0
      let macs = checkedSum(entries.map(\.cost.macs)) ?? 0
      let bytes = checkedSum(entries.map(\.cost.outputBytes)) ?? 0
      return [indent + row.name, "\(entries.count) layers", output, HumanUnits.grouped(params),
              HumanUnits.grouped(macs), HumanUnits.bytes(bytes)]
    }
  }

  /// The totals block: exact figures, then human units in parentheses.
  static func totals(_ report: Report) -> [(label: String, value: String)] {
    let t = report.totals
    func count(_ value: Int) -> String { "\(HumanUnits.grouped(value)) (\(HumanUnits.count(value)))" }
    func bytes(_ value: Int) -> String { "\(HumanUnits.grouped(value)) B (\(HumanUnits.bytes(value)))" }
    return [
      ("Params", count(t.params)),
      ("Trainable params", count(t.trainableParams)),
      ("Non-trainable params", count(t.params - t.trainableParams)),
      ("Buffers", count(t.buffers)),
      ("MACs", "\(HumanUnits.grouped(t.macs)) (\(HumanUnits.macs(t.macs)))"),
      ("Element ops", count(t.elementOps)),
      ("Weight memory", bytes(t.weightBytes)),
      ("Activation memory (all outputs)", bytes(t.activationBytes)),
      ("Peak activation memory", bytes(t.peakActivationBytes)),
    ]
  }

  static func escapeMarkdown(_ cell: String) -> String {
    cell.replacingOccurrences(of: "|", with: "\\|")
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var copy = self
    while copy.last == " " { copy.removeLast() }
    return copy
  }

  /// Wraps the text after any leading `&emsp;` indentation.
  fileprivate func replacingFirstWord(_ transform: (String) -> String) -> String {
    var indent = ""
    var rest = Substring(self)
    while rest.hasPrefix("&emsp;") {
      indent += "&emsp;"
      rest = rest.dropFirst(6)
    }
    return indent + transform(String(rest))
  }
}
