/// conv1-style layers (few input channels, large kernels or strides: 7x7 s2 or 11x11 s4 on RGB,
/// VGG's first 3x3): tile-wise im2col + the SGEMM micro-kernel of `GEMM.swift`.
///
/// The direct kernel runs these at ~20 % of the FMA peak (its inner loop over input channels is 3
/// long and every input value is a strided broadcast). Here, for each panel of `2 * lanes`
/// consecutive output pixels (in flat `oy * W + ox` order, so panels may span rows), the
/// `[ic][ky][kx]` x `[pixel]` matrix is gathered from the zero-padded input into the thread's work buffer
/// (`K * width` floats, at most ~96 KB: it stays in L1/L2 while every block of output channels
/// reads it) and the micro-kernel computes `rows` output channels x `width` pixels from it.
/// Weights are packed like the 1x1 GEMM's: `[block of rows][ic][ky][kx][row]`, bias
/// `[block][row]`. No arena scratch beyond the padded copy the direct kernel needs too. Threads
/// split the pixel panels.
extension Convolution {
  /// Input channels per group up to which a convolution (one group, >= one vector of outputs,
  /// a window larger than 1x1) takes the im2col path.
  static let im2colMaxInputChannels = 4

  static func usesIm2col(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    let k = g.inPerGroup * g.kernelH * g.kernelW
    return context.layer.kind == .conv && g.groups == 1 && g.outPerGroup >= context.lanes
      && g.inPerGroup <= im2colMaxInputChannels && g.kernelH * g.kernelW > 1
      && k * im2colWidth(context) * 4 <= 96 * 1024
  }

  /// Output channels per micro-kernel call (the packing block).
  static func im2colRows(_ context: KernelContext) -> Int {
    GEMM.rows(context.output.channels, maxRows: 24 / (im2colWidth(context) / context.lanes))
  }

  /// Pixels per im2col panel: 3 vectors (x 8 rows: 24 accumulators, 11 loads per 24 FMAs).
  static func im2colWidth(_ context: KernelContext) -> Int { 3 * context.lanes }

  static func emitIm2col(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let output = context.output
    let k = g.inPerGroup * g.kernelH * g.kernelW
    let m = output.channels
    let n = output.height * output.width
    let rows = im2colRows(context)
    let width = im2colWidth(context)
    let cut = GEMMPanels(m: m, k: k, n: n, rows: rows, width: width, weightOffset: context.weightOffset)
    let (blocks, biasOffset, full, tail, panels) = (cut.blocks, cut.biasOffset, cut.full, cut.tail, cut.panels)
    let plane = g.paddedH * g.paddedW
    // Whole panels of whole blocks go straight into `y`, clamped by the kernel (the panel's
    // pixels are consecutive in the output plane); the last panel, a partial block or an
    // epilogue the kernel cannot apply go through the staging buffer.
    let clamp = vectorClamp(context)
    let lastRows = m - (blocks - 1) * rows
    let kernel = GEMM.microKernel(context, rows: rows, width: width, clamp: clamp ?? .none)
    let direct = cut.directStore(clamped: clamp != nil, rows: rows, lastRows: lastRows)
    let staged = StagedStore(rows: rows, lastRows: lastRows, blocks: blocks, n: n, clamped: clamp != nil, residual: nil)
    let parallel = Threading.worthSplitting(work: macs(context), iterations: panels)
    out.line("// im2col panels of \(width) pixels x \(k) + SGEMM \(rows)x\(width)")
    Threading.emitPartLoop("panel", panels, parallel: parallel, &out) { out in
      Threading.emitPartBuffer(k * width + rows * width, context, &out) { out in
        out.line("let packedInput = buffer.baseAddress!")
        if direct != "true" { out.line("let stage = packedInput + \(k * width)") }
        out.line("let n = panel &* \(width)")
        out.line("let columns = panel == \(full) ? \(tail) : \(width)")
        out.block("do") { out in
          Threading.emitPartInts("offsets", width, context, &out)
          // Window origin of each pixel in the padded input; past-the-end pixels of the last
          // panel repeat the last one (their results are not stored).
          out.block(forLoop("p", width)) { out in
            out.line("let q = n &+ min(p, columns &- 1)")
            out.line("let oy = q / \(output.width)")
            out.line("let ox = q &- oy &* \(output.width)")
            out.line("offsets[p] = oy &* \(g.strideH * g.paddedW) &+ ox &* \(g.strideW)")
          }
          func gather(_ inRow: Bool, _ out: inout SwiftEmitter) {
            out.line("var b = packedInput")
            out.block(forLoop("ic", g.inPerGroup)) { out in
              out.block(forLoop("ky", g.kernelH)) { out in
                out.line("let r = src + (ic &* \(plane) &+ ky &* \(g.dilationH * g.paddedW))")
                out.block(forLoop("kx", g.kernelW)) { out in
                  out.line("let s = r + kx &* \(g.dilationW)")
                  if inRow {
                    out.line("let t = s + first")
                    out.block(forLoop("p", width)) { out in out.line("b[p] = t[p &* \(g.strideW)]") }
                  } else {
                    out.block(forLoop("p", width)) { out in out.line("b[p] = s[offsets[p]]") }
                  }
                  out.line("b += \(width)")
                }
              }
            }
          }
          // A full panel inside one output row reads each window row with a literal stride.
          out.line("let first = offsets[0]")
          out.block("if columns == \(width) && offsets[\(width - 1)] &- first == \((width - 1) * g.strideW)") { out in
            gather(true, &out)
          }
          out.block("else") { out in gather(false, &out) }
        }
        out.block(forLoop("block", blocks)) { out in
          out.line("let a = UnsafePointer(weights + (\(context.weightOffset) &+ block &* \(k * rows)))")
          out.line("let bias = UnsafePointer(weights + (\(biasOffset) &+ block &* \(rows)))")
          if direct != "false" {
            out.block(direct == "true" ? "do" : "if \(direct)") { out in
              out.line("Self.\(kernel)(a, packedInput, bias, y + (block &* \(rows * n) &+ n), \(k), \(width), \(n))")
            }
          }
          if direct != "true" {
            let stagedTile = { (out: inout SwiftEmitter) in
              out.line("Self.\(kernel)(a, packedInput, bias, stage, \(k), \(width), \(width))")
              if tail > 0 {
                out.block("if panel == \(full)") { out in staged.emit(context, columns: tail, stride: width, skip: 0, &out) }
                if full > 0 {
                  out.block("else") { out in staged.emit(context, columns: width, stride: width, skip: 0, &out) }
                }
              } else {
                staged.emit(context, columns: width, stride: width, skip: 0, &out)
              }
            }
            if direct == "false" { stagedTile(&out) } else { out.block("else", stagedTile) }
          }
        }
      }
    }
  }
}
