/// Infers every layer's output shape and enforces the contract's channel and spatial rules.
///
/// Layers are visited in execution order; a layer whose input is poisoned (nil) is skipped
/// silently, so one mistake produces one diagnostic (clox's panic mode, applied to shapes).
public struct Checker {
  let network: Network
  var shapes: [Shape?]
  var windows: [Window?]
  var diagnostics: [Diagnostic] = []

  init(network: Network) {
    self.network = network
    self.shapes = Array(repeating: nil, count: network.layers.count)
    self.windows = Array(repeating: nil, count: network.layers.count)
  }

  public static func check(_ network: Network) -> (CheckedNetwork, [Diagnostic]) {
    var checker = Checker(network: network)
    for index in network.layers.indices {
      checker.shapes[index] = checker.inferShape(of: index)
    }
    let checked = CheckedNetwork(network: network, shapes: checker.shapes, windows: checker.windows)
    return (checked, checker.diagnostics)
  }

  mutating func error(_ id: DiagnosticID, _ message: String, at range: SourceRange,
                      layer: Layer, notes: [Diagnostic.Note] = [], fixIts: [FixIt] = []) {
    let calls = layer.callSites.prefix(1).map { Diagnostic.Note("in this call", at: $0) }
    diagnostics.append(Diagnostic(id, message, at: range, notes: notes + calls, fixIts: fixIts))
  }

  /// The output shape of layer `index`, or nil (with a diagnostic unless the input was poisoned).
  mutating func inferShape(of index: Int) -> Shape? {
    let layer = network.layers[index]
    guard let attributes = layer.attributes else { return nil }
    var inputs: [Shape] = []
    for input in layer.inputs {
      guard let shape = input == Layer.networkInput ? network.input : shapes[input] else { return nil }
      inputs.append(shape)
    }
    if layer.kind.isJoin { return joinShape(layer, inputs) }
    guard let input = inputs.first else { return nil }
    let result = shape(of: layer, attributes, input: input, index: index)
    if let result, result.byteCount == nil {
      error(.sizeOverflow, "'\(layer.name)' output \(result) has more bytes than fit in 64 bits",
            at: layer.range, layer: layer)
      return nil
    }
    return result
  }

  mutating func shape(of layer: Layer, _ attributes: LayerAttributes, input: Shape, index: Int) -> Shape? {
    switch layer.kind {
    case .conv, .dwconv: return convolutionShape(layer, attributes, input: input, index: index)
    case .deconv: return transposedShape(layer, attributes, input: input, index: index)
    case .maxpool, .avgpool: return poolShape(layer, attributes, input: input, index: index)
    case .fc: return fullyConnectedShape(layer, attributes, input: input)
    case .flatten:
      return input.elementCount.map(Shape.flat) ?? overflow(layer)
    case .gap, .gmp: return Shape(1, 1, input.channels)
    case .adaptiveavgpool:
      guard let size = attributes.size else { return nil }
      return Shape(size.height, size.width, input.channels)
    case .spp: return pyramidShape(layer, attributes, input: input)
    case .upsample:
      guard let factor = attributes.size,
        let height = checkedProduct([input.height, factor.height]),
        let width = checkedProduct([input.width, factor.width])
      else { return overflow(layer) }
      return Shape(height, width, input.channels)
    case .zeropad:
      let pad = attributes.insets
      guard let height = checkedSum([input.height, pad.top, pad.bottom]),
        let width = checkedSum([input.width, pad.left, pad.right])
      else { return overflow(layer) }
      return Shape(height, width, input.channels)
    case .bn, .lrn, .dropout, .relu, .relu6, .leakyrelu, .prelu, .elu, .sigmoid, .tanh, .swish,
      .hswish, .hsigmoid, .softmax, .identity:
      return input
    case .concat, .add:
      preconditionFailure("unreachable: joins are handled by joinShape")
    }
  }

  mutating func overflow(_ layer: Layer) -> Shape? {
    error(.sizeOverflow, "'\(layer.name)' has sizes that do not fit in a 64-bit integer",
          at: layer.range, layer: layer)
    return nil
  }

  /// `spp 1,2,4`: C·Σn² values, flattened level by level.
  mutating func pyramidShape(_ layer: Layer, _ attributes: LayerAttributes, input: Shape) -> Shape? {
    guard let cells = checkedSum(attributes.grid.map { $0 &* $0 }),
      attributes.grid.allSatisfy({ $0 < 3_037_000_499 }),
      let count = checkedProduct([cells, input.channels])
    else { return overflow(layer) }
    return Shape.flat(count)
  }

  mutating func fullyConnectedShape(_ layer: Layer, _ attributes: LayerAttributes, input: Shape) -> Shape? {
    guard let units = attributes.count, let inputs = input.elementCount else { return overflow(layer) }
    checkConstants(layer, attributes, expectedWeights: checkedProduct([units, inputs]),
                   weightShape: "\(units)x\(inputs)", outputs: units)
    return Shape.flat(units)
  }
}
