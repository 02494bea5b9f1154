import Foundation

/// `cnnc report --format csv`: one row per layer with the JSON layer fields, in the same order.
///
/// Cells that are arrays in JSON are written the way the language writes them, so the file
/// loads as plain columns in a spreadsheet or pandas: shapes `55x55x96`, several inputs
/// separated by spaces, kernel/stride/dilation/receptive field/jump `11x11`, padding
/// `top left bottom right` separated by spaces. A JSON `null` is an empty cell.
public enum ReportCSV {
  static let header = [
    "name", "kind", "line", "inputs", "output", "kernel", "stride", "pad", "groups", "dilation",
    "params", "buffers", "macs", "elementOps", "outputBytes", "receptiveField", "jump",
  ]

  public static func render(_ report: Report) -> String {
    var lines = [header.joined(separator: ",")]
    for entry in report.entries {
      lines.append(row(entry).map(quote).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func row(_ entry: Report.Entry) -> [String] {
    let window = entry.window
    let cost = entry.cost
    return [
      entry.name, entry.kind.rawValue, String(entry.line),
      entry.inputs.map(\.description).joined(separator: " "), entry.output.description,
      window?.kernel.description ?? "", window?.stride.description ?? "",
      window.map { $0.padding.array.map(String.init).joined(separator: " ") } ?? "",
      entry.groups.map(String.init) ?? "", window?.dilation.description ?? "",
      String(cost.params), String(cost.buffers), String(cost.macs), String(cost.elementOps),
      String(cost.outputBytes), cost.receptiveField.description, cost.jump.description,
    ]
  }

  /// RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled.
  static func quote(_ cell: String) -> String {
    guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return cell
    }
    return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
