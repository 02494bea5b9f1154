/// `fc`: `y[o] = b[o] + sum_i w[o, i] * x[i]` over the input flattened in C,H,W order.
///
/// One SIMD vector of outputs at a time; weights packed at load as `[block][in][lanes]` (bias
/// `[block][lanes]` after them) so each step of the sum reads one contiguous vector; two partial
/// sums halve the FMA dependency chain. The layer is bound by weight bandwidth anyway.
enum FullyConnected {
  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let inputs = context.input.elementCount ?? 0
    let outputs = context.output.channels
    let lanes = context.lanes
    let blocks = (outputs + lanes - 1) / lanes
    let biasOffset = context.weightOffset + blocks * inputs * lanes
    let lastValid = outputs - (blocks - 1) * lanes
    let vector = context.vectorType
    let parallel = Threading.worthSplitting(work: inputs * outputs, iterations: blocks)
    Threading.emitLoop("block", blocks, parallel: parallel, &out) { out in
      out.line("let packed = weights + (\(context.weightOffset) &+ block &* \(inputs * lanes))")
      out.line("var even = UnsafeRawPointer(weights + (\(biasOffset) &+ block &* \(lanes))).loadUnaligned(as: \(vector).self)")
      out.line("var odd = \(vector)()")
      out.block(forLoop("pair", inputs / 2)) { out in
        out.line("let i = pair &* 2")
        out.line("let we = UnsafeRawPointer(packed + (i &* \(lanes))).loadUnaligned(as: \(vector).self)")
        out.line("let wo = UnsafeRawPointer(packed + (i &* \(lanes) &+ \(lanes))).loadUnaligned(as: \(vector).self)")
        out.line("even = \(context.multiplyAdd("even", "we", "x0[i]"))")
        out.line("odd = \(context.multiplyAdd("odd", "wo", "x0[i &+ 1]"))")
      }
      if inputs % 2 == 1 {
        out.line("let we = UnsafeRawPointer(packed + \((inputs - 1) * lanes)).loadUnaligned(as: \(vector).self)")
        out.line("even = \(context.multiplyAdd("even", "we", "x0[\(inputs - 1)]"))")
      }
      out.line("let sum = even + odd")
      out.line("let valid = block == \(blocks - 1) ? \(lastValid) : \(lanes)")
      out.block("for lane in 0..<valid") { out in
        out.line("let c = block &* \(lanes) &+ lane")
        context.store("sum[lane]", to: "y[c]", channel: "c").forEach { out.line($0) }
      }
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }
}
