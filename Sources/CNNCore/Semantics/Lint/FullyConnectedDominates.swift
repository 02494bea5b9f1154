/// `lint.fc-dominates`: one fc layer holding most of the network's parameters.
///
/// An fc on a flattened HxWxC map stores one weight per pixel, channel and unit: AlexNet's and
/// VGG's first classifier layers hold 62% and 74% of all parameters while doing a small share of
/// the work. Global average pooling before the classifier (ResNet, GoogLeNet) removes the HxW
/// factor. Reported when one fc holds more than half of the parameters and at least
/// `minimumParameters` of them, so small nets (LeNet-5, MTCNN) whose fc layers are naturally a
/// large share of a small total are left alone.
struct FullyConnectedDominates: LintRule {
  let id = DiagnosticID.fcDominates
  let summary = "one fc layer holding more than half of the network's parameters"
  static let minimumParameters = 1_000_000

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    guard let total = network.lintTotalParameters, total > 0 else { return [] }
    var result: [Diagnostic] = []
    for (index, layer) in network.layers.enumerated() where layer.kind == .fc {
      guard let count = network.lintParameterCount(of: index), count >= Self.minimumParameters,
        count > total - count
      else { continue }
      let percent = Int(Double(count) / Double(total) * 100)
      let notes = pooledAlternative(index, network).map { [$0] } ?? []
      result.append(Diagnostic(
        id, "'\(layer.name)' alone holds \(percent)% of the parameters (\(count.grouped) of "
          + "\(total.grouped)); one fc layer should not outweigh the rest of the network",
        at: layer.range, label: "\(count.grouped) parameters", notes: notes))
    }
    return result
  }

  /// "'gap' before 'flatten' would make it …": when the fc reads a flattened spatial map.
  private func pooledAlternative(_ index: Int, _ network: CheckedNetwork) -> Diagnostic.Note? {
    let graph = LintGraph(network)
    let (source, _) = graph.producer(of: index, skipping: inferencePassThrough.union([.flatten]))
    let shape = source == Layer.networkInput ? network.network.input : network.shapes[source]
    guard let shape, shape.height * shape.width > 1, let units = network.shapes[index]?.channels,
      let attributes = network.layers[index].attributes,
      let weights = checkedProduct([shape.channels, units]),
      let pooled = checkedSum([weights, attributes.hasBias ? units : 0])
    else { return nil }
    let name = source == Layer.networkInput ? "the input" : "'\(network.layers[source].name)'"
    return Diagnostic.Note(
      "it reads \(shape) values from \(name); global average pooling ('gap') to 1x1x"
        + "\(shape.channels) first would make it \(pooled.grouped) parameters")
  }
}
