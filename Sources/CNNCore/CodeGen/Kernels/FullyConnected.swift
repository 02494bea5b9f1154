/// `fc`: `y[o] = b[o] + sum_i w[o, i] * x[i]` over the input flattened in C,H,W order.
///
/// One SIMD vector of outputs at a time; weights packed at load as `[block][in][lanes]` (bias
/// `[block][lanes]` after them) so each step of the sum reads one contiguous vector; two partial
/// sums halve the FMA dependency chain. The layer is bound by weight bandwidth anyway: when its
/// weights exceed L2, every pair of inputs also loads one float 64 KB ahead in the weight stream
/// (within the layer's weights; the sum only keeps the loads alive), which keeps more cache
/// misses in flight than the hardware prefetcher alone (AlexNet fc6 1T: ~12.9 -> ~11.4 ms on the
/// Intel Xeon; on AMD Zen 4 they cost bandwidth instead, `SwiftGenerator.touchesAhead`).
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
    let ahead = 16384
    // `ahead <= inputs * lanes`: the touches of a block stay in the next block's weights (the
    // last block touches its own), so they never leave the layer's weights.
    let touch = context.touchesAhead && blocks * inputs * lanes * 4 > 2 * 1024 * 1024 && inputs * lanes >= ahead
      && inputs >= 2
    Threading.emitLoop("block", blocks, parallel: parallel, &out) { out in
      out.line("let packed = weights + (\(context.weightOffset) &+ block &* \(inputs * lanes))")
      out.line("var even = UnsafeRawPointer(weights + (\(biasOffset) &+ block &* \(lanes))).loadUnaligned(as: \(vector).self)")
      out.line("var odd = \(vector)()")
      if touch {
        out.line("let ahead = block == \(blocks - 1) ? packed : packed + \(ahead)")
        out.line("var sink: Float = 0")
      }
      out.block(forLoop("pair", inputs / 2)) { out in
        out.line("let i = pair &* 2")
        out.line("let we = UnsafeRawPointer(packed + (i &* \(lanes))).loadUnaligned(as: \(vector).self)")
        out.line("let wo = UnsafeRawPointer(packed + (i &* \(lanes) &+ \(lanes))).loadUnaligned(as: \(vector).self)")
        out.line("even = \(context.multiplyAdd("even", "we", "x0[i]"))")
        out.line("odd = \(context.multiplyAdd("odd", "wo", "x0[i &+ 1]"))")
        if touch { out.line("sink += ahead[i &* \(lanes)]") }
      }
      if inputs % 2 == 1 {
        out.line("let we = UnsafeRawPointer(packed + \((inputs - 1) * lanes)).loadUnaligned(as: \(vector).self)")
        out.line("even = \(context.multiplyAdd("even", "we", "x0[\(inputs - 1)]"))")
      }
      if touch { out.line("if sink.bitPattern == 0x7FC0_1234 { odd[0] += 0 }") }
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
