/// Depthwise convolution (one input and one output channel per group), SIMD over the output
/// columns of a row.
///
/// Each channel's plane is copied into a zero-bordered stack buffer (L1-resident, with slack so
/// that whole-vector loads past the last column stay inside it), then every output row is
/// computed `lanes` columns at a time with the window unrolled and every offset a literal. Stride
/// 2 loads `2 * lanes` consecutive floats and keeps the even (or odd) lanes. Weights stay in
/// PyTorch's order (`[C][kh][kw]`, bias `[C]` after them).
extension Convolution {
  /// Whether the SIMD depthwise kernel applies (else the axpy-row kernel).
  static func usesDepthwise(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    return g.inPerGroup == 1 && g.outPerGroup == 1 && (g.strideW == 1 || g.strideW == 2)
      && g.kernelH * g.kernelW <= 49
  }

  static func emitDepthwise(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let input = context.input
    let output = context.output
    let lanes = context.lanes
    let vector = context.vectorType
    let taps = g.kernelH * g.kernelW
    let biasOffset = context.weightOffset + output.channels * taps
    let slack = 2 * lanes * g.strideW + g.kernelW * g.dilationW
    let padded = g.paddedH * g.paddedW + slack
    let chunks = output.width / lanes
    let tail = output.width % lanes
    let epilogue = context.epilogue(channel: "c")
    let parallel = Threading.worthSplitting(work: macs(context), iterations: output.channels)
    Threading.emitLoop("c", output.channels, parallel: parallel, &out) { out in
      out.block("withUnsafeTemporaryAllocation(of: Float.self, capacity: \(padded + lanes))") { out in
        out.line("buffer in")
        out.line("let plane = buffer.baseAddress!")
        if tail > 0 { out.line("let stage = plane + \(padded)") }  // only the tail stages
        out.line("plane.update(repeating: 0, count: \(padded))")
        out.block(forLoop("row", input.height)) { out in
          out.line("(plane + (\((g.padTop) * g.paddedW + g.padLeft) &+ row &* \(g.paddedW))).update(from: x0 + ((c &* \(input.height) &+ row) &* \(input.width)), count: \(input.width))")
        }
        out.line("let kernel = weights + (\(context.weightOffset) &+ c &* \(taps))")
        for t in 0..<taps { out.line("let w\(t) = \(vector)(repeating: kernel[\(t)])") }
        out.line("let bias = \(vector)(repeating: weights[\(biasOffset) &+ c])")
        out.block(forLoop("oy", output.height)) { out in
          out.line("let r = UnsafePointer(plane + (oy &* \(g.strideH * g.paddedW)))")
          out.line("let o = y + ((c &* \(output.height) &+ oy) &* \(output.width))")
          func chunk(_ out: inout SwiftEmitter) {
            out.line("let q = r + (ox &* \(g.strideW))")
            out.line("var acc = bias")
            for ky in 0..<g.kernelH {
              for kx in 0..<g.kernelW {
                let offset = ky * g.dilationH * g.paddedW + kx * g.dilationW
                let t = ky * g.kernelW + kx
                if g.strideW == 1 {
                  out.line("let x\(t) = UnsafeRawPointer(q + \(offset)).loadUnaligned(as: \(vector).self)")
                } else {
                  out.line("let x\(t) = UnsafeRawPointer(q + \(offset)).loadUnaligned(as: SIMD\(2 * lanes)<Float>.self).evenHalf")
                }
                out.line("acc = \(context.multiplyAdd("acc", "w\(t)", "x\(t)"))")
              }
            }
          }
          if chunks > 0 {
            out.block(forLoop("chunk", chunks)) { out in
              out.line("let ox = chunk &* \(lanes)")
              chunk(&out)
              out.line("UnsafeMutableRawPointer(o + ox).storeBytes(of: acc, as: \(vector).self)")
            }
          }
          if tail > 0 {
            out.block("do") { out in
              out.line("let ox = \(chunks * lanes)")
              chunk(&out)
              out.line("UnsafeMutableRawPointer(stage).storeBytes(of: acc, as: \(vector).self)")
              out.line("(o + ox).update(from: stage, count: \(tail))")
            }
          }
          if !epilogue.isEmpty {
            out.block(forLoop("ox", output.width)) { out in
              out.line("var v = o[ox]")
              epilogue.forEach { out.line($0) }
              out.line("o[ox] = v")
            }
          }
        }
      }
    }
  }
}
