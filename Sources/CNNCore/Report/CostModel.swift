/// The contract's cost formulas for one layer (`language.md`, "Arithmetic").
///
/// Parameters: conv `out·(in/groups)·kh·kw + out`, deconv `in·(out/groups)·kh·kw + out`,
/// fc `out·in + out`, bn `2·C` (+ `2·C` buffers), prelu `C`. MACs: conv
/// `out_h·out_w·out·(in/groups)·kh·kw`, deconv `in_h·in_w·in·(out/groups)·kh·kw`, fc `in·out`,
/// i.e. the weight count times the positions it is applied at. Bias adds are not MACs; they
/// are element operations. All arithmetic is overflow-checked.
struct CostModel {
  let layer: Layer
  let attributes: LayerAttributes
  /// Input shapes in `layer.inputs` order (the network input included).
  let inputs: [Shape]
  let output: Shape
  let window: Window?

  /// The first input; every non-join layer has exactly one.
  var input: Shape { inputs.first ?? output }

  var kernel: Dims { window?.kernel ?? attributes.kernel ?? .square(1) }

  /// Conv `groups`; `dwconv` is grouped by its input channels.
  var groups: Int {
    max(1, layer.kind == .dwconv ? input.channels : attributes.groups)
  }

  /// The whole cost except the receptive field, which needs the producers' (`ReceptiveField`).
  func cost() throws(CostOverflow) -> LayerCost {
    var cost = LayerCost()
    let (weights, bias) = try parameterCounts()
    cost.params = try costSum(weights, bias)
    let constantWeights = attributes.constantWeights == nil ? 0 : weights
    let constantBias = attributes.constantBias == nil ? 0 : bias
    cost.trainableParams = cost.params - constantWeights - constantBias
    if layer.kind == .bn { cost.buffers = try costProduct(2, output.channels) }
    cost.macs = try multiplyAccumulates(weights: weights)
    cost.elementOps = try elementOperations(hasBias: bias > 0)
    cost.outputBytes = try costProduct(output.costElements(), 4)
    return cost
  }

  /// Weight and bias counts. Constant weights: a layer with `weights=[…]` and no `bias=[…]` has
  /// no bias term (the checker's decision, `docs/language.md`); `bias=[…]` counts its values.
  func parameterCounts() throws(CostOverflow) -> (weights: Int, bias: Int) {
    let channels = output.channels
    switch layer.kind {
    case .conv, .dwconv:
      return (try costProduct(channels, input.channels / groups, kernel.height, kernel.width),
              biasCount)
    case .deconv:
      return (try costProduct(input.channels, channels / groups, kernel.height, kernel.width),
              biasCount)
    case .fc: return (try costProduct(input.costElements(), channels), biasCount)
    case .bn: return (try costProduct(2, channels), 0)
    case .prelu: return (channels, 0)
    default: return (0, 0)
    }
  }

  var biasCount: Int {
    if let bias = attributes.constantBias { return bias.count }
    return attributes.constantWeights == nil && attributes.hasBias ? output.channels : 0
  }

  /// MACs = weights × the positions they slide over: output pixels for conv, input pixels for
  /// deconv (each input pixel scatters the whole kernel), once for fc.
  func multiplyAccumulates(weights: Int) throws(CostOverflow) -> Int {
    switch layer.kind {
    case .conv, .dwconv: return try costProduct(output.height, output.width, weights)
    case .deconv: return try costProduct(input.height, input.width, weights)
    case .fc: return weights
    default: return 0
    }
  }
}
