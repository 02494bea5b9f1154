/// `cnnc report --format json`: the `cnnc.report/1` object of `cli.md`, keys in its order.
///
/// Layers without a sliding window keep the `kernel`, `stride`, `pad` and `dilation` keys with
/// `null` (and `groups` is `null` except for conv, dwconv and deconv), so every layer object has
/// the same keys and a script can index them without checking.
public enum ReportJSON {
  public static func render(_ report: Report) -> String {
    value(report).rendered() + "\n"
  }

  public static func value(_ report: Report) -> JSONValue {
    .object([
      ("schema", .string("cnnc.report/1")),
      ("network", .string(report.network)),
      ("file", .string(report.file)),
      ("input", shape(report.input)),
      ("outputs", .array(report.outputs.map(shape))),
      ("layers", .array(report.entries.map(layer))),
      ("totals", totals(report.totals)),
    ])
  }

  static func layer(_ entry: Report.Entry) -> JSONValue {
    let window = entry.window
    let cost = entry.cost
    return .object([
      ("name", .string(entry.name)),
      ("kind", .string(entry.kind.rawValue)),
      ("line", .int(entry.line)),
      ("inputs", .array(entry.inputs.map(shape))),
      ("output", shape(entry.output)),
      ("kernel", window.map { dims($0.kernel) } ?? .null),
      ("stride", window.map { dims($0.stride) } ?? .null),
      ("pad", window.map { ints($0.padding.array) } ?? .null),
      ("groups", entry.groups.map(JSONValue.int) ?? .null),
      ("dilation", window.map { dims($0.dilation) } ?? .null),
      ("params", .int(cost.params)),
      ("buffers", .int(cost.buffers)),
      ("macs", .int(cost.macs)),
      ("elementOps", .int(cost.elementOps)),
      ("outputBytes", .int(cost.outputBytes)),
      ("receptiveField", dims(cost.receptiveField)),
      ("jump", dims(cost.jump)),
    ])
  }

  static func totals(_ totals: Report.Totals) -> JSONValue {
    .object([
      ("params", .int(totals.params)),
      ("trainableParams", .int(totals.trainableParams)),
      ("buffers", .int(totals.buffers)),
      ("macs", .int(totals.macs)),
      ("elementOps", .int(totals.elementOps)),
      ("weightBytes", .int(totals.weightBytes)),
      ("activationBytes", .int(totals.activationBytes)),
      ("peakActivationBytes", .int(totals.peakActivationBytes)),
    ])
  }

  static func shape(_ shape: Shape) -> JSONValue { ints(shape.array) }
  static func dims(_ dims: Dims) -> JSONValue { ints([dims.height, dims.width]) }
  static func ints(_ values: [Int]) -> JSONValue { .array(values.map(JSONValue.int)) }
}
