/// Receptive field and jump of a layer's output, per axis, in network-input pixels.
///
/// The standard recurrence (Araujo et al., "Computing Receptive Fields of CNNs", Distill 2019):
/// `r_out = r_in + (k_eff - 1)·j_in`, `j_out = j_in·s`, with `k_eff = dilation·(k-1) + 1`.
/// The network input has `r = j = 1`. Rules for the other kinds (`docs/report.md`):
/// element-wise layers keep both; joins take the largest of their branches per axis; layers
/// that collapse the spatial axes (flatten, fc on a spatial input, gap, gmp, spp, adaptive
/// pooling onto a grid that does not divide the input) act as one window over the whole input;
/// deconv and upsample divide the jump (never below 1).
struct ReceptiveField: Equatable {
  var field: Dims
  var jump: Dims

  static let input = ReceptiveField(field: Dims(1, 1), jump: Dims(1, 1))

  /// The field of `model`'s output given its producers' fields, in `model.inputs` order.
  static func of(_ model: CostModel, inputs: [ReceptiveField]) throws(CostOverflow) -> ReceptiveField {
    guard let first = inputs.first else { return .input }
    switch model.layer.kind {
    case .conv, .dwconv, .maxpool, .avgpool:
      let window = model.window ?? Window(kernel: model.kernel, stride: .square(1),
                                          padding: .zero, dilation: model.attributes.dilation)
      return try first.sliding(kernel: window.kernel, stride: window.stride,
                               dilation: window.dilation)
    case .deconv:
      return try first.transposed(model)
    case .upsample:
      let factor = model.attributes.size ?? .square(1)
      return ReceptiveField(field: first.field, jump: first.jump.divided(by: factor))
    case .adaptiveavgpool:
      let input = model.input
      let grid = Dims(model.output.height, model.output.width)
      if input.height % grid.height == 0 && input.width % grid.width == 0 {
        let bin = Dims(input.height / grid.height, input.width / grid.width)
        return try first.sliding(kernel: bin, stride: bin, dilation: Dims(1, 1))
      }
      return try first.wholeInput(input)
    case .flatten, .gap, .gmp, .spp, .fc:
      return try first.wholeInput(model.input)
    case .concat, .add:
      return ReceptiveField(
        field: Dims(inputs.map(\.field.height).max() ?? 1, inputs.map(\.field.width).max() ?? 1),
        jump: Dims(inputs.map(\.jump.height).max() ?? 1, inputs.map(\.jump.width).max() ?? 1))
    default:
      return first
    }
  }

  /// One window of `kernel` (dilated) moved by `stride`.
  func sliding(kernel: Dims, stride: Dims, dilation: Dims) throws(CostOverflow) -> ReceptiveField {
    func axis(_ r: Int, _ j: Int, _ k: Int, _ s: Int, _ d: Int) throws(CostOverflow) -> (Int, Int) {
      let grown = try costProduct(effectiveSpan(k, d) - 1, j)
      return (try costSum(r, grown), try costProduct(j, s))
    }
    let (rh, jh) = try axis(field.height, jump.height, kernel.height, stride.height, dilation.height)
    let (rw, jw) = try axis(field.width, jump.width, kernel.width, stride.width, dilation.width)
    return ReceptiveField(field: Dims(rh, rw), jump: Dims(jh, jw))
  }

  /// Transposed convolution: each output pixel gathers `ceil(k_eff / s)` input pixels per
  /// axis; the jump shrinks by the stride (integer division, at least 1).
  func transposed(_ model: CostModel) throws(CostOverflow) -> ReceptiveField {
    let stride = model.window?.stride ?? .square(1)
    let dilation = model.window?.dilation ?? Dims(1, 1)
    let kernel = model.kernel
    let taps = Dims(try ceilDivision(effectiveSpan(kernel.height, dilation.height), stride.height),
                    try ceilDivision(effectiveSpan(kernel.width, dilation.width), stride.width))
    var result = try sliding(kernel: taps, stride: .square(1), dilation: Dims(1, 1))
    result.jump = jump.divided(by: stride)
    return result
  }

  /// A window the size of the whole input, moved by its size: the output has one position.
  func wholeInput(_ input: Shape) throws(CostOverflow) -> ReceptiveField {
    let size = Dims(input.height, input.width)
    return try sliding(kernel: size, stride: size, dilation: Dims(1, 1))
  }
}

extension Dims {
  /// Integer division per axis, never below 1 (a jump is a whole number of input pixels).
  fileprivate func divided(by factor: Dims) -> Dims {
    Dims(max(1, height / max(1, factor.height)), max(1, width / max(1, factor.width)))
  }
}

/// `dilation·(k-1) + 1`, the span of a dilated kernel.
private func effectiveSpan(_ kernel: Int, _ dilation: Int) throws(CostOverflow) -> Int {
  try costSum(costProduct(dilation, kernel - 1), 1)
}

private func ceilDivision(_ value: Int, _ divisor: Int) throws(CostOverflow) -> Int {
  guard divisor > 0 else { throw CostOverflow() }
  return value / divisor + (value % divisor == 0 ? 0 : 1)
}
