/// The cost report of a checked network: one entry per expanded layer plus totals.
///
/// Built once by `Report.make` and rendered by every format (text, markdown, CSV, JSON, DOT,
/// SVG), so the formats cannot disagree. Field meanings are in `docs/report.md`; the JSON
/// schema (`cnnc.report/1`) is fixed by `cli.md`.
public struct Report: Sendable {
  /// One expanded layer with its resolved geometry and cost.
  public struct Entry: Sendable {
    public var name: String
    public var kind: LayerKind
    /// 1-based source line of the layer (for joins, of the block keyword).
    public var line: Int
    public var inputs: [Shape]
    /// Producer indices (`Layer.networkInput` for the network input).
    public var producers: [Int]
    public var output: Shape
    /// Kernel, stride, padding and dilation for conv, deconv and pooling; nil otherwise.
    public var window: Window?
    /// Conv groups (dwconv: its input channels); nil for layers without groups.
    public var groups: Int?
    public var cost: LayerCost
    public var isLabelled: Bool
    /// Where the layer is written and the calls it was expanded from (for block grouping).
    public var range: SourceRange
    public var callSites: [SourceRange]
  }

  public struct Totals: Sendable, Equatable {
    public var params = 0, trainableParams = 0, buffers = 0, macs = 0, elementOps = 0
    /// 4 bytes per parameter and buffer.
    public var weightBytes = 0
    /// Every layer's output, summed; the network input is not included.
    public var activationBytes = 0
    /// The largest sum of tensors alive at once (`PeakActivation`): the generated code's
    /// activation arena; the network input (caller memory) is not included.
    public var peakActivationBytes = 0
  }

  public var network: String
  public var file: String
  public var input: Shape
  public var outputs: [Shape]
  /// Indices into `entries` of the network outputs, in `output` order.
  public var outputIndices: [Int]
  public var entries: [Entry]
  public var totals: Totals
}

/// Why a report could not be made: a figure overflowed Int64 (`shape.overflow`).
public struct ReportFailure: Error, Sendable {
  public var diagnostic: Diagnostic
}

extension Report {
  /// Costs every layer of an error-free network; throws a located `shape.overflow` when a
  /// per-layer figure or a total does not fit in Int64 (the contract's limit).
  public static func make(_ checked: CheckedNetwork, source: SourceFile) throws(ReportFailure) -> Report {
    var entries: [Entry] = []
    var fields: [ReceptiveField] = []
    entries.reserveCapacity(checked.layers.count)
    for index in checked.layers.indices {
      let layer = checked.layers[index]
      do {
        let (entry, field) = try makeEntry(index, checked, source: source, fields: fields)
        entries.append(entry)
        fields.append(field)
      } catch {
        throw overflow("'\(layer.name)' has a parameter, MAC or size figure that does not fit "
                       + "in a 64-bit integer", at: layer.range)
      }
    }
    let network = checked.network
    var report = Report(
      network: network.name, file: source.name, input: network.input,
      outputs: network.outputs.map { entries.indices.contains($0) ? entries[$0].output : network.input },
      outputIndices: network.outputs, entries: entries, totals: Totals())
    do {
      report.totals = try report.computeTotals(checked)
    } catch {
      throw overflow("the network's totals do not fit in a 64-bit integer", at: network.inputRange)
    }
    return report
  }

  private static func overflow(_ message: String, at range: SourceRange) -> ReportFailure {
    ReportFailure(diagnostic: Diagnostic(.sizeOverflow, message, at: range))
  }

  private static func makeEntry(_ index: Int, _ checked: CheckedNetwork, source: SourceFile,
                                fields: [ReceptiveField]) throws(CostOverflow) -> (Entry, ReceptiveField) {
    let layer = checked.layers[index]
    let inputs = checked.inputShapes(of: index).compactMap { $0 }
    guard let output = checked.shapes[index], let attributes = layer.attributes,
      inputs.count == layer.inputs.count
    else { preconditionFailure("unreachable: a report is only made for a network without errors") }
    let window = checked.windows[index]
    let model = CostModel(layer: layer, attributes: attributes, inputs: inputs, output: output,
                          window: window)
    var cost = try model.cost()
    let producerFields = layer.inputs.map { $0 == Layer.networkInput ? ReceptiveField.input : fields[$0] }
    let field = try ReceptiveField.of(model, inputs: producerFields)
    cost.receptiveField = field.field
    cost.jump = field.jump
    let hasGroups = [.conv, .dwconv, .deconv].contains(layer.kind)
    let entry = Entry(
      name: layer.name, kind: layer.kind, line: source.location(of: layer.range.start).line,
      inputs: inputs, producers: layer.inputs, output: output, window: window,
      groups: hasGroups ? model.groups : nil, cost: cost, isLabelled: layer.isLabelled,
      range: layer.range, callSites: layer.callSites)
    return (entry, field)
  }

  private func computeTotals(_ checked: CheckedNetwork) throws(CostOverflow) -> Totals {
    var totals = Totals()
    for entry in entries {
      let cost = entry.cost
      totals.params = try costSum(totals.params, cost.params)
      totals.trainableParams = try costSum(totals.trainableParams, cost.trainableParams)
      totals.buffers = try costSum(totals.buffers, cost.buffers)
      totals.macs = try costSum(totals.macs, cost.macs)
      totals.elementOps = try costSum(totals.elementOps, cost.elementOps)
      totals.activationBytes = try costSum(totals.activationBytes, cost.outputBytes)
    }
    totals.weightBytes = try costProduct(costSum(totals.params, totals.buffers), 4)
    totals.peakActivationBytes = try PeakActivation.bytes(checked)
    return totals
  }
}
