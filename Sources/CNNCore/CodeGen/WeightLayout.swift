/// Which tensors each step reads from the weights file and where their packed form lives in the
/// one weight allocation of the generated class.
struct WeightLayout {
  struct Tensor {
    var name: String
    var shape: [Int]
    /// Accepted in the file and not read (`num_batches_tracked`, spec-constant layers).
    var ignored: Bool
  }

  /// Every tensor name the file may hold, in layer order.
  var tensors: [Tensor] = []
  /// Spec-constant values by tensor name, baked into the source.
  var constants: [(name: String, values: [Float])] = []
  /// Packed offset of each step's weights.
  var stepOffsets: [Int: Int] = [:]
  /// Packed offset of the per-channel data of in-place layers (PReLU, standalone BN).
  var layerOffsets: [Int: Int] = [:]
  /// Statements of the private initializer that fill the weights (`file`, a `Safetensors`
  /// reader, is in scope); each streams one layer's tensors into place (`packers`).
  var packing: [String] = []
  var count = 0

  /// Whether `init()` exists: every weighted layer has spec-constant weights.
  var isConstant: Bool { tensors.allSatisfy(\.ignored) }

  init(_ lowered: LoweredNetwork, lanes: Int) {
    for step in lowered.steps {
      let context = KernelContext(lowered: lowered, step: step, lanes: lanes, weightOffset: count,
                                  followerOffsets: [:])
      switch context.layer.kind {
      case .conv, .dwconv, .fc, .deconv: addWeighted(context)
      default: break
      }
      for index in [step.layer] + step.followers {
        addPerChannel(index, lowered)
      }
    }
  }

  private mutating func align(_ lanes: Int) {
    count = (count + 15) / 16 * 16
  }

  private mutating func addWeighted(_ context: KernelContext) {
    align(context.lanes)
    let layer = context.layer
    let attributes = context.attributes
    let input = context.input
    let output = context.output
    let name = layer.name
    var weightShape: [Int]
    switch layer.kind {
    case .fc: weightShape = [output.channels, input.elementCount ?? 0]
    case .deconv:
      let window = context.window ?? Window(kernel: .square(1), stride: .square(1), padding: .zero, dilation: .square(1))
      weightShape = [input.channels, output.channels / attributes.groups, window.kernel.height, window.kernel.width]
    default:
      let g = Convolution.geometry(context)
      weightShape = [output.channels, g.inPerGroup, g.kernelH, g.kernelW]
    }
    let constant = attributes.constantWeights != nil
    tensors.append(Tensor(name: name + ".weight", shape: weightShape, ignored: constant))
    if let weights = attributes.constantWeights { constants.append((name + ".weight", weights)) }
    let hasBias = attributes.constantBias != nil || (attributes.hasBias && !constant)
    if hasBias {
      tensors.append(Tensor(name: name + ".bias", shape: [output.channels], ignored: attributes.constantBias != nil))
      if let bias = attributes.constantBias { constants.append((name + ".bias", bias)) }
    }
    var norm = "nil"
    if let bn = context.step.foldedNorm {
      let bnName = context.lowered.checked.layers[bn].name
      addNormTensors(bnName, channels: output.channels)
      let epsilon = context.lowered.attributes(bn).epsilon
      norm = "Self.fold(file, \"\(bnName)\", epsilon: \(epsilon), channels: \(output.channels))"
    }
    let bias = hasBias ? "\"\(name).bias\"" : "nil"
    let weight = "file, \"\(name).weight\""
    stepOffsets[context.layerIndex] = count
    let inner = weightShape.dropFirst().reduce(1, *)
    if layer.kind == .conv && Convolution.kernel(context) == .winograd {
      let plan = Convolution.winogradPlan(context)
      packing.append("Self.packWinograd(\(weight), bias: \(bias), norm: \(norm), outputs: \(output.channels), inputs: \(plan.inputChannels), lanes: \(plan.channelRows), into: weights + \(count))")
      count += Convolution.winogradWeightCount(context)
      return
    }
    let convBlock = layer.kind == .conv || layer.kind == .dwconv ? Convolution.packingBlock(context) : nil
    if layer.kind == .fc || convBlock != nil {
      let groups = layer.kind == .fc ? 1 : Convolution.geometry(context).groups
      let outPerGroup = output.channels / groups
      let tile = convBlock ?? context.lanes
      let taps = convBlock != nil ? Convolution.tapMajorTaps(context) : 1
      let tapArgument = taps > 1 ? ", taps: \(taps)" : ""
      packing.append("Self.pack(\(weight), bias: \(bias), norm: \(norm), groups: \(groups), outPerGroup: \(outPerGroup), inner: \(inner)\(tapArgument), lanes: \(tile), into: weights + \(count))")
      let blocks = (outPerGroup + tile - 1) / tile
      count += groups * blocks * (inner + 1) * tile
    } else {
      let total = weightShape.reduce(1, *)
      let perOutput = layer.kind == .deconv ? 1 : inner
      packing.append("Self.packPlain(\(weight), bias: \(bias), norm: \(norm), outputs: \(output.channels), inner: \(perOutput), biasOffset: \(total), into: weights + \(count))")
      count += total + output.channels
    }
  }

  private mutating func addNormTensors(_ name: String, channels: Int) {
    for suffix in ["weight", "bias", "running_mean", "running_var"] {
      tensors.append(Tensor(name: "\(name).\(suffix)", shape: [channels], ignored: false))
    }
    tensors.append(Tensor(name: "\(name).num_batches_tracked", shape: [], ignored: true))
  }

  private mutating func addPerChannel(_ index: Int, _ lowered: LoweredNetwork) {
    let layer = lowered.checked.layers[index]
    let channels = lowered.shape(index).channels
    switch layer.kind {
    case .prelu:
      align(16)
      tensors.append(Tensor(name: layer.name + ".weight", shape: [channels], ignored: false))
      layerOffsets[index] = count
      packing.append("Self.packPlain(file, \"\(layer.name).weight\", bias: nil, norm: nil, outputs: 0, inner: 1, biasOffset: \(channels), into: weights + \(count))")
      count += channels
    case .bn where !lowered.steps.contains(where: { $0.foldedNorm == index }):
      align(16)
      addNormTensors(layer.name, channels: channels)
      layerOffsets[index] = count
      let epsilon = lowered.attributes(index).epsilon
      packing.append("do {")
      packing.append("  let norm = Self.fold(file, \"\(layer.name)\", epsilon: \(epsilon), channels: \(channels))")
      packing.append("  (weights + \(count)).update(from: norm.scale, count: \(channels))")
      packing.append("  (weights + \(count + channels)).update(from: norm.shift, count: \(channels))")
      packing.append("}")
      count += 2 * channels
    default: break
    }
  }
}

extension WeightLayout {
  /// The packers the `packing` statements call, emitted into every generated file.
  ///
  /// Each streams its tensor from the reader piece by piece (`Safetensors.stream`) and writes
  /// every value straight to its packed place, so no tensor-sized temporary exists; biases and
  /// batch-norm vectors (one value per channel) are read whole first, as folding needs them.
  static let packers = #"""
/// Batch norm as `scale * x + shift`: `scale = weight / sqrt(running_var + eps)`,
/// `shift = bias - running_mean * scale` (computed in Double).
private static func fold(_ file: Safetensors, _ name: String, epsilon: Double, channels: Int) -> (scale: [Float], shift: [Float]) {
  let weight = file.values(name + ".weight")
  let bias = file.values(name + ".bias")
  let mean = file.values(name + ".running_mean")
  let variance = file.values(name + ".running_var")
  var scale = [Float](repeating: 1, count: channels)
  var shift = [Float](repeating: 0, count: channels)
  for c in 0..<min(channels, weight.count, bias.count, mean.count, variance.count) {
    let s = Double(weight[c]) / (Double(variance[c]) + epsilon).squareRoot()
    scale[c] = Float(s)
    shift[c] = Float(Double(bias[c]) - Double(mean[c]) * s)
  }
  return (scale, shift)
}

/// Writes tensor `name` (`[out][inner]`) as `[group][block][inner][lanes]` panels, then `bias`
/// as `[group][block][lanes]`, with a folded batch norm applied per output channel; lanes past
/// the group's channels stay zero. With `taps` > 1 the inner index, PyTorch's `[ic][tap]`, is
/// written tap-major, `[tap][ic]` (the direct tiles of 16-register targets read one tap's
/// channels in a loop).
private static func pack(_ file: Safetensors, _ name: String, bias: String?, norm: (scale: [Float], shift: [Float])?, groups: Int, outPerGroup: Int, inner: Int, taps: Int = 1, lanes: Int, into target: UnsafeMutablePointer<Float>) {
  let blocks = (outPerGroup + lanes - 1) / lanes
  let perTap = inner / taps
  let biasBase = groups * blocks * inner * lanes
  let channels = groups * outPerGroup
  func panel(_ c: Int) -> Int {
    let group = c / outPerGroup, channel = c % outPerGroup
    return (group * blocks + channel / lanes) * inner * lanes + channel % lanes
  }
  file.stream(name) { first, values in
    guard first < channels * inner else { return }
    var c = first / inner, i = first % inner
    var row = target + panel(c)
    var scale = norm?.scale[c] ?? 1
    for value in values {
      row[(taps == 1 ? i : i % taps * perTap + i / taps) * lanes] = value * scale
      i += 1
      if i == inner {
        i = 0
        c += 1
        if c == channels { return }
        row = target + panel(c)
        scale = norm?.scale[c] ?? 1
      }
    }
  }
  let b = bias.map { file.values($0) } ?? []
  for c in 0..<channels {
    let at = biasBase + (c / outPerGroup * blocks + c % outPerGroup / lanes) * lanes + c % outPerGroup % lanes
    target[at] = (c < b.count ? b[c] : 0) * (norm?.scale[c] ?? 1) + (norm?.shift[c] ?? 0)
  }
}

/// Writes the 3x3 tensor `name` (`[outputs][inputs][3][3]`) as Winograd F(2x2, 3x3) filters
/// `U = G g Gᵀ` (`G` = rows (1, 0, 0), (½, ½, ½), (½, -½, ½), (0, 0, 1); computed in Double, a
/// folded batch norm's scale applied) in `[block][ξ][input][lanes]` panels for the 16 points ξ,
/// then `bias` as `[block][lanes]`, then `lanes` zeros.
private static func packWinograd(_ file: Safetensors, _ name: String, bias: String?, norm: (scale: [Float], shift: [Float])?, outputs: Int, inputs: Int, lanes: Int, into target: UnsafeMutablePointer<Float>) {
  let blocks = (outputs + lanes - 1) / lanes
  // One row of `G` applied to three values: `(a, (a + b + c) / 2, (a - b + c) / 2, c)`.
  func transform(_ a: Double, _ b: Double, _ c: Double) -> (Double, Double, Double, Double) {
    (a, (a + b + c) / 2, (a - b + c) / 2, c)
  }
  var g = [Double](repeating: 0, count: 9)
  file.stream(name) { first, values in
    var index = first
    for value in values {
      guard index < outputs * inputs * 9 else { return }
      g[index % 9] = Double(value)
      if index % 9 == 8 {
        let k = index / (inputs * 9), c = index / 9 % inputs
        let scale = Double(norm?.scale[k] ?? 1)
        // `G g`: the three filter rows combined into four; then each of those rows by `G`.
        let column = (0..<3).map { transform(g[$0], g[3 + $0], g[6 + $0]) }
        let rows = [column.map(\.0), column.map(\.1), column.map(\.2), column.map(\.3)]
        let panel = target + ((k / lanes * 16) * inputs + c) * lanes + k % lanes
        for (i, row) in rows.enumerated() {
          let u = transform(row[0], row[1], row[2])
          for (j, value) in [u.0, u.1, u.2, u.3].enumerated() {
            panel[(i * 4 + j) * inputs * lanes] = Float(value * scale)
          }
        }
      }
      index += 1
    }
  }
  let b = bias.map { file.values($0) } ?? []
  let biasBase = blocks * 16 * inputs * lanes
  for c in 0..<outputs {
    target[biasBase + c] = (c < b.count ? b[c] : 0) * (norm?.scale[c] ?? 1) + (norm?.shift[c] ?? 0)
  }
  (target + biasBase + blocks * lanes).update(repeating: 0, count: lanes)
}

/// Copies tensor `name` in PyTorch order (`[out][inner]`, at most `biasOffset` values), then
/// `bias` as `[out]` at `biasOffset`, folding a batch norm.
private static func packPlain(_ file: Safetensors, _ name: String, bias: String?, norm: (scale: [Float], shift: [Float])?, outputs: Int, inner: Int, biasOffset: Int, into target: UnsafeMutablePointer<Float>) {
  file.stream(name) { first, values in
    for (index, value) in values.prefix(max(0, biasOffset - first)).enumerated() {
      target[first + index] = value * (norm?.scale[(first + index) / inner] ?? 1)
    }
  }
  let b = bias.map { file.values($0) } ?? []
  for c in 0..<outputs {
    target[biasOffset + c] = (c < b.count ? b[c] : 0) * (norm?.scale[c] ?? 1) + (norm?.shift[c] ?? 0)
  }
}
"""#
}
