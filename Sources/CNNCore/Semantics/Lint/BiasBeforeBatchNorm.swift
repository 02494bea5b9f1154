/// `lint.bias-before-bn`: a conv or fc with a bias whose only reader is batch norm.
///
/// BN subtracts the per-channel batch mean (and, at inference, the running mean), so any
/// constant added per channel just before it is cancelled: the bias is parameters that train
/// to nothing. torchvision writes `bias=False` on every conv that feeds a BatchNorm2d.
/// Not reported: layers with constant weights (a fixed filter is written on purpose), and a
/// labelled layer read by a labelled bn: both named as `state_dict` modules means the layout is
/// fixed by a checkpoint (torchvision's `vgg16_bn` keeps these biases), and removing the bias
/// would stop its weights from loading.
struct BiasBeforeBatchNorm: LintRule {
  let id = DiagnosticID.biasBeforeBatchNorm
  let summary = "a conv or fc bias that the following batch norm cancels"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let graph = LintGraph(network)
    var expansions: [SourceRange: (first: Int, count: Int, wasted: Int)] = [:]
    for (index, layer) in network.layers.enumerated() {
      guard [.conv, .dwconv, .deconv, .fc].contains(layer.kind),
        let attributes = layer.attributes, attributes.hasBias,
        attributes.constantWeights == nil, attributes.constantBias == nil,
        !graph.outputs.contains(index), graph.consumers[index].count == 1,
        graph.layers[graph.consumers[index][0]].kind == .bn,
        !(layer.isLabelled && graph.layers[graph.consumers[index][0]].isLabelled),
        let channels = network.shapes[index]?.channels
      else { continue }
      let entry = expansions[layer.range] ?? (index, 0, 0)
      expansions[layer.range] = (entry.first, entry.count + 1, entry.wasted &+ channels)
    }
    return expansions.values.sorted { $0.first < $1.first }.map {
      diagnose($0.first, expansions: $0.count, wasted: $0.wasted, graph)
    }
  }

  private func diagnose(_ index: Int, expansions: Int, wasted: Int,
                        _ graph: LintGraph) -> Diagnostic {
    let layer = graph.layers[index]
    let norm = graph.layers[graph.consumers[index][0]]
    let channels = graph.network.shapes[index]?.channels ?? 0
    var notes = [Diagnostic.Note("'\(norm.name)' is here", at: norm.range)]
    if expansions > 1 {
      notes.append(Diagnostic.Note(
        "this layer is expanded \(expansions) times: \(wasted.grouped) bias parameters in all"))
    }
    let fix = layer.argumentRanges["bias"].map {
      FixIt("remove the bias", replacing: $0, with: "bias=false")
    } ?? FixIt("remove the bias", replacing: .at(layer.range.end), with: " bias=false")
    return Diagnostic(
      id, "'\(layer.name)' has a bias that '\(norm.name)' cancels: batch norm subtracts the "
        + "channel mean, so its \(channels.grouped) bias parameters are wasted",
      at: layer.range, label: "bias cancelled by '\(norm.name)'",
      notes: notes + graph.callNotes(index), fixIts: [fix])
  }
}
