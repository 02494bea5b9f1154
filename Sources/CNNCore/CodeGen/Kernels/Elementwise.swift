/// Element-wise layers (activations, standalone batch norm, no-ops) and per-pixel softmax.
///
/// Formulas are PyTorch's: `hswish(x) = x * relu6(x + 3) / 6`, `hsigmoid(x) = relu6(x + 3) / 6`,
/// `elu(x) = x > 0 ? x : alpha * expm1(x)`, `swish(x) = x * sigmoid(x)`, softmax over channels
/// with the maximum subtracted first (numerically stable).
enum Elementwise {
  /// Statements mapping `v` for layer `index`; empty for no-ops (dropout, identity, flatten).
  /// With `hoisted`, per-channel values (bn scale and shift, PReLU slope) are read from the
  /// locals `channelLets` declares, so loops over a plane do not reload them.
  static func statements(for index: Int, in context: KernelContext, channel: String,
                         hoisted: Bool = false) -> [String] {
    let layer = context.lowered.checked.layers[index]
    let attributes = context.lowered.attributes(index)
    let offset = context.followerOffsets[index] ?? 0
    if hoisted, layer.kind == .bn { return ["v = v * scale\(index) + shift\(index)"] }
    if hoisted, layer.kind == .prelu { return ["v = v > 0 ? v : v * slope\(index)"] }
    switch layer.kind {
    case .relu: return ["v = v > 0 ? v : 0"]
    case .relu6: return ["v = v > 0 ? v : 0", "v = v < 6 ? v : 6"]
    case .leakyrelu:
      let slope = Literal.float(attributes.real ?? 0.01)
      return ["v = v > 0 ? v : v * \(slope)"]
    case .prelu: return ["v = v > 0 ? v : v * weights[\(offset) &+ \(channel)]"]
    case .elu:
      let alpha = Literal.float(attributes.real ?? 1.0)
      return ["v = v > 0 ? v : \(alpha) * expm1(v)"]
    case .sigmoid: return ["v = 1 / (1 + Self.\(Transcendental.exp(context))(-v))"]
    case .tanh: return ["v = Self.\(Transcendental.tanh(context))(v)"]
    case .swish: return ["v = v / (1 + Self.\(Transcendental.exp(context))(-v))"]
    case .hswish: return ["v = v * min(max(v + 3, 0), 6) / 6"]
    case .hsigmoid: return ["v = min(max(v + 3, 0), 6) / 6"]
    case .bn:
      let count = context.lowered.shape(index).channels
      return ["v = v * weights[\(offset) &+ \(channel)] + weights[\(offset + count) &+ \(channel)]"]
    default: return []
    }
  }

  /// The per-channel locals `statements(…, hoisted: true)` reads, for channel `c`.
  static func channelLets(for index: Int, in context: KernelContext) -> [String] {
    let kind = context.lowered.checked.layers[index].kind
    let offset = context.followerOffsets[index] ?? 0
    switch kind {
    case .bn:
      let count = context.lowered.shape(index).channels
      return ["let scale\(index) = weights[\(offset) &+ c], shift\(index) = weights[\(offset + count) &+ c]"]
    case .prelu: return ["let slope\(index) = weights[\(offset) &+ c]"]
    default: return []
    }
  }

  /// In-place passes over a step's output for `followers` (element-wise ones and softmax).
  static func emitPasses(_ followers: [Int], _ context: KernelContext, _ out: inout SwiftEmitter) {
    var pending: [Int] = []
    for follower in followers {
      if context.lowered.checked.layers[follower].kind == .softmax {
        emitMap(pending, from: "y", context, &out)
        pending = []
        emitSoftmax(context.output, &out)
      } else {
        pending.append(follower)
      }
    }
    emitMap(pending, from: "y", context, &out)
  }

  /// `y = f(source)` for the element-wise `layers` in one pass over each channel plane (in place
  /// when `source` is `y`; a plain copy when there is nothing to apply).
  static func emitMap(_ layers: [Int], from source: String, _ context: KernelContext,
                      _ out: inout SwiftEmitter) {
    let body = layers.flatMap { statements(for: $0, in: context, channel: "c", hoisted: true) }
    let shape = context.output
    let plane = shape.height * shape.width
    guard !body.isEmpty else {
      if source != "y" { out.line("y.update(from: \(source), count: \(shape.channels * plane))") }
      return
    }
    let lets = layers.flatMap { channelLets(for: $0, in: context) }
    // Memory-bound: a mapped float counts as 8 multiply-adds plus its statements (DenseNet-121's
    // standalone norm1 + relu1 passes, up to 14x14x992, ran serial at 2 threads: 2.45 ms there).
    let parallel = Threading.worthSplitting(work: shape.channels * plane * (8 + body.count), iterations: shape.channels)
    Threading.emitLoop("c", shape.channels, parallel: parallel, &out) { out in
      out.line("let p = \(source) + (c &* \(plane))")
      out.line("let q = y + (c &* \(plane))")
      lets.forEach { out.line($0) }
      out.block(forLoop("i", plane)) { out in
        out.line("var v = p[i]")
        body.forEach { out.line($0) }
        out.line("q[i] = v")
      }
    }
  }

  /// Softmax over channels at every pixel of `y`, in place.
  static func emitSoftmax(_ shape: Shape, _ out: inout SwiftEmitter) {
    let plane = shape.height * shape.width
    out.block(forLoop("i", plane)) { out in
      out.line("let p = y + i")
      out.line("var m = -Float.infinity")
      out.block(forLoop("c", shape.channels)) { out in
        out.line("let e = p[c &* \(plane)]")
        out.line("m = e > m ? e : m")
      }
      out.line("var sum: Float = 0")
      out.block(forLoop("c", shape.channels)) { out in
        out.line("let e = exp(p[c &* \(plane)] - m)")
        out.line("p[c &* \(plane)] = e")
        out.line("sum += e")
      }
      out.line("let scale = 1 / sum")
      out.block(forLoop("c", shape.channels)) { out in
        out.line("p[c &* \(plane)] *= scale")
      }
    }
  }

  /// A primary in-place kind that could not run in place (its input is read elsewhere): copy,
  /// then apply the layer itself and its followers.
  ///
  /// The copy and the element-wise layers up to the first softmax are one pass.
  static func emitCopy(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let layers = [context.layerIndex] + context.step.followers
    let mapped = Array(layers.prefix { context.lowered.checked.layers[$0].kind != .softmax })
    emitMap(mapped, from: "x0", context, &out)
    emitPasses(Array(layers.dropFirst(mapped.count)), context, &out)
  }
}
