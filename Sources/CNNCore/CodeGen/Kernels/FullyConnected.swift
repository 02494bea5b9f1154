/// `fc`: `y[o] = b[o] + sum_i w[o, i] * x[i]` over the input flattened in C,H,W order.
///
/// One SIMD vector of outputs at a time; weights packed at load as `[block][in][lanes]` (bias
/// `[block][lanes]` after them) so each step of the sum reads one contiguous vector; two partial
/// sums halve the FMA dependency chain. The layer is bound by weight bandwidth anyway: when its
/// weights exceed L2, every pair of inputs also loads one float 64 KB ahead in the weight stream
/// (within the layer's weights; the sum only keeps the loads alive), which keeps more cache
/// misses in flight than the hardware prefetcher alone (AlexNet fc6 1T: ~12.9 -> ~11.4 ms on the
/// Intel Xeon; on AMD Zen 4 they cost bandwidth instead, `SwiftGenerator.touchesAhead`).
/// Where the loads ahead are off, such a layer sums `streams` blocks at once instead: four
/// weight streams 16 KB+ apart keep more misses in flight than one (Zen 4, 1 thread, a
/// 9216 -> 4096 layer: 6.2 -> 5.1 ms; MobileNetV1's 1024 -> 1000, 4 MB: 0.14 -> 0.12 ms).
enum FullyConnected {
  /// Blocks of outputs whose weight streams a large layer reads at once.
  static let streams = 4
  /// Floats ahead of the sum that a block's loads ahead touch (64 KB).
  static let aheadFloats = 16384

  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let inputs = context.input.elementCount ?? 0
    let outputs = context.output.channels
    let lanes = context.lanes
    let blocks = (outputs + lanes - 1) / lanes
    let biasOffset = context.weightOffset + blocks * inputs * lanes
    let lastValid = outputs - (blocks - 1) * lanes
    let parallel = Threading.worthSplitting(work: inputs * outputs, iterations: blocks)
    let pastL2 = blocks * inputs * lanes * 4 > 2 * 1024 * 1024
    // `aheadFloats <= inputs * lanes`: the touches of a block stay in the next block's weights
    // (the last block touches its own), so they never leave the layer's weights.
    let touch = context.touchesAhead && pastL2 && inputs * lanes >= aheadFloats && inputs >= 2
    // Past L2 and without the loads ahead: `streams` blocks at a time, then the rest one by one.
    let groups = !touch && pastL2 ? blocks / streams : 0
    if groups > 0 {
      let single = blocks - groups * streams
      let split = Threading.worthSplitting(work: inputs * outputs, iterations: groups + single)
      Threading.emitLoop("index", groups + single, parallel: split, &out) { out in
        out.block("if index < \(groups)") { out in
          emitGroup(context, inputs: inputs, blocks: blocks, lastValid: lastValid, biasOffset: biasOffset, &out)
        }
        if single > 0 {
          out.block("if index >= \(groups)") { out in
            out.line("let block = \(groups * streams) &+ (index &- \(groups))")
            emitBlock(context, inputs: inputs, blocks: blocks, lastValid: lastValid, biasOffset: biasOffset,
                      touch: false, &out)
          }
        }
      }
      Elementwise.emitPasses(context.passFollowers, context, &out)
      return
    }
    Threading.emitLoop("block", blocks, parallel: parallel, &out) { out in
      emitBlock(context, inputs: inputs, blocks: blocks, lastValid: lastValid, biasOffset: biasOffset,
                touch: touch, &out)
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }

  /// Blocks `index * streams ..< +streams`: one sum per block over the same input values.
  private static func emitGroup(_ context: KernelContext, inputs: Int, blocks: Int, lastValid: Int,
                                biasOffset: Int, _ out: inout SwiftEmitter) {
    let lanes = context.lanes
    let vector = context.vectorType
    let stride = inputs * lanes
    out.line("let packed = weights + (\(context.weightOffset) &+ index &* \(streams * stride))")
    out.line("let bias = weights + (\(biasOffset) &+ index &* \(streams * lanes))")
    for s in 0..<streams {
      out.line("var sum\(s) = UnsafeRawPointer(bias + \(s * lanes)).loadUnaligned(as: \(vector).self)")
    }
    out.block(forLoop("i", inputs)) { out in
      out.line("let x = x0[i]")
      out.line("let w = packed + i &* \(lanes)")
      for s in 0..<streams {
        let load = "UnsafeRawPointer(w + \(s * stride)).loadUnaligned(as: \(vector).self)"
        out.line("sum\(s) = \(context.multiplyAdd("sum\(s)", load, "x"))")
      }
    }
    for s in 0..<streams {
      // Only the layer's last block can be partial, and it is never in a group of `streams`
      // unless the blocks divide evenly.
      let partial = blocks % streams == 0 && s == streams - 1 && lastValid < lanes
      let valid = partial ? "(index == \(blocks / streams - 1) ? \(lastValid) : \(lanes))" : "\(lanes)"
      out.block("for lane in 0..<\(valid)") { out in
        out.line("let c = index &* \(streams * lanes) &+ \(s * lanes) &+ lane")
        context.store("sum\(s)[lane]", to: "y[c]", channel: "c").forEach { out.line($0) }
      }
    }
  }

  /// Block `block`: two partial sums (even and odd inputs), with the loads ahead when `touch`.
  private static func emitBlock(_ context: KernelContext, inputs: Int, blocks: Int, lastValid: Int,
                                biasOffset: Int, touch: Bool, _ out: inout SwiftEmitter) {
    let lanes = context.lanes
    let vector = context.vectorType
    out.line("let packed = weights + (\(context.weightOffset) &+ block &* \(inputs * lanes))")
    out.line("var even = UnsafeRawPointer(weights + (\(biasOffset) &+ block &* \(lanes))).loadUnaligned(as: \(vector).self)")
    out.line("var odd = \(vector)()")
    if touch {
      out.line("let ahead = block == \(blocks - 1) ? packed : packed + \(aheadFloats)")
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
}
