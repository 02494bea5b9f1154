/// Channel rules: groups, branch agreement, constant weight counts.
extension Checker {
  /// `concat` joins along channels (H and W must agree); `add` needs identical shapes.
  mutating func joinShape(_ layer: Layer, _ inputs: [Shape]) -> Shape? {
    guard let first = inputs.first else { return nil }
    let isAdd = layer.kind == .add
    let agrees: (Shape) -> Bool = isAdd
      ? { $0 == first }
      : { $0.height == first.height && $0.width == first.width }
    if inputs.allSatisfy(agrees) {
      guard !isAdd else { return first }
      guard let channels = checkedSum(inputs.map(\.channels)) else { return overflow(layer) }
      return Shape(first.height, first.width, channels)
    }
    let notes = inputs.enumerated().map { branch, shape in
      Diagnostic.Note("branch \(branch + 1) produces \(shape) here", at: branchRange(layer.inputs[branch]))
    }
    let sameSpatial = inputs.allSatisfy { $0.height == first.height && $0.width == first.width }
    if isAdd && sameSpatial {
      let counts = inputs.map { String($0.channels) }.joined(separator: ", ")
      error(.branchMismatch, "'add' branches must have the same channel count; they have \(counts)",
            at: layer.range, layer: layer, notes: notes)
    } else {
      let sizes = inputs.map { "\($0.height)x\($0.width)" }.joined(separator: ", ")
      error(.concatMismatch,
            "'\(layer.kind.rawValue)' branches must agree in height and width\(isAdd ? " and channels" : ""); "
              + "they produce \(sizes)", at: layer.range, layer: layer, notes: notes)
    }
    return nil
  }

  func branchRange(_ index: Int) -> SourceRange? {
    index == Layer.networkInput ? network.inputRange : network.layers[index].range
  }

  /// Input and output channels must both divide by `groups` (PyTorch `Conv2d`).
  mutating func checkGroups(_ layer: Layer, groups: Int, input: Int, output: Int) -> Bool {
    guard groups > 1 else { return true }
    let range = layer.range(of: "groups")
    if input % groups != 0 {
      error(.groupMismatch,
            "'\(layer.name)' splits \(input) input channels into \(groups) groups; they must divide evenly",
            at: range, layer: layer,
            notes: [Diagnostic.Note("\(input) channels are produced here", at: producerRange(of: layer))])
      return false
    }
    if output % groups != 0 {
      error(.groupMismatch,
            "'\(layer.name)' has \(output) output channels in \(groups) groups; they must divide evenly",
            at: layer.range(of: "count"), layer: layer)
      return false
    }
    return true
  }

  func producerRange(of layer: Layer) -> SourceRange? {
    layer.inputs.first.flatMap(branchRange)
  }

  /// `weights=[…]` must hold exactly the layer's weight count, in PyTorch order.
  mutating func checkConstants(_ layer: Layer, _ attributes: LayerAttributes,
                               expectedWeights: Int?, weightShape: String, outputs: Int) {
    if let weights = attributes.constantWeights, let expected = expectedWeights, weights.count != expected {
      error(.weightCount,
            "'\(layer.name)' needs \(expected) weights (\(weightShape), PyTorch order); found \(weights.count)",
            at: layer.range(of: "weights"), layer: layer)
    }
    if let bias = attributes.constantBias, bias.count != outputs {
      error(.biasCount, "'\(layer.name)' needs \(outputs) bias values, one per output; found \(bias.count)",
            at: layer.range(of: "bias"), layer: layer)
    }
  }
}
