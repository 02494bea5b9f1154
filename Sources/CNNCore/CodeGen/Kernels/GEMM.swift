/// The SGEMM micro-kernel: `C[rows][width] = bias + A·B` for one panel, with SIMD over the
/// columns (pixels) so that the result rows are stored as whole vectors.
///
/// `A` is packed at load as `[rows-block][k][rows]` (one broadcast per row and k, read with a
/// literal offset), `B` is read as `k` rows of `width` consecutive floats `rowStride` apart (the
/// C,H,W input itself for a 1x1 convolution, or a packed panel). The accumulators (`rows` x
/// `width / lanes` vectors, at most 24) go to a `[rows][width]` staging buffer; the step stores
/// them through its epilogue. One function per distinct (k, rows, width, rowStride), shared.
enum GEMM {
  /// Rows of the register tile for `m` output rows: at most `maxRows`, spread evenly.
  static func rows(_ m: Int, maxRows: Int = 12) -> Int {
    let blocks = (m + maxRows - 1) / maxRows
    return (m + blocks - 1) / blocks
  }

  /// The micro-kernel's name; `(a, b, bias, stage)` arguments.
  static func microKernel(_ context: KernelContext, k: Int, rows: Int, width: Int,
                          rowStride: Int) -> String {
    let lanes = context.lanes
    let vector = context.vectorType
    let vectors = width / lanes
    let key = "gemm k\(k) rows\(rows) width\(width) stride\(rowStride) lanes\(lanes) fma\(context.fma)"
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      out.line("/// SGEMM micro-kernel: \(key).")
      out.line("/// `a`: `[k][\(rows)]`, `b`: k rows of \(width) floats \(rowStride) apart, `stage`: `[\(rows)][\(width)]`.")
      out.block("@inline(never) private static func \(name)(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ stage: UnsafeMutablePointer<Float>)") { out in
        for r in 0..<rows {
          out.line("let bias\(r) = \(vector)(repeating: bias[\(r)])")
          for v in 0..<vectors { out.line("var c\(r)_\(v) = bias\(r)") }
        }
        out.line("var ai = a")
        out.line("var bi = b")
        out.block(forLoop("_", k)) { out in
          for v in 0..<vectors {
            out.line("let b\(v) = UnsafeRawPointer(bi + \(v * lanes)).loadUnaligned(as: \(vector).self)")
          }
          for r in 0..<rows {
            out.line("let a\(r) = ai[\(r)]")
            for v in 0..<vectors {
              out.line("c\(r)_\(v) = \(context.multiplyAdd("c\(r)_\(v)", "b\(v)", "a\(r)"))")
            }
          }
          out.line("ai += \(rows)")
          out.line("bi += \(rowStride)")
        }
        for r in 0..<rows {
          for v in 0..<vectors {
            out.line("UnsafeMutableRawPointer(stage + \(r * width + v * lanes)).storeBytes(of: c\(r)_\(v), as: \(vector).self)")
          }
        }
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text
    }
    return context.helpers?.function(key, body) ?? "missingHelpers"
  }
}

extension Convolution {
  /// 1x1, stride 1, no padding, one group: a plain GEMM on the C,H,W input (no im2col).
  static func isPointwise(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    return context.layer.kind == .conv && g.groups == 1 && g.kernelH == 1 && g.kernelW == 1
      && g.strideH == 1 && g.strideW == 1 && !g.needsPadding
  }

  /// Pixels per GEMM panel.
  static func panelWidth(_ context: KernelContext) -> Int { 2 * context.lanes }

  /// Output channels per GEMM register tile (the packing block).
  static func pointwiseRows(_ context: KernelContext) -> Int {
    GEMM.rows(context.output.channels, maxRows: 24 / (panelWidth(context) / context.lanes))
  }

  /// `y[c][n] = bias[c] + sum_k w[c][k] x[k][n]` panel by panel; the last, narrower panel is
  /// first copied into `scratch` (zero-filled to the full panel width).
  static func emitPointwise(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let g = geometry(context)
    let k = g.inPerGroup
    let m = context.output.channels
    let n = context.output.height * context.output.width
    let rows = pointwiseRows(context)
    let width = panelWidth(context)
    let cut = GEMMPanels(m: m, k: k, n: n, rows: rows, width: width, weightOffset: context.weightOffset)
    let (blocks, biasOffset, full, tail, panels) = (cut.blocks, cut.biasOffset, cut.full, cut.tail, cut.panels)
    let wide = GEMM.microKernel(context, k: k, rows: rows, width: width, rowStride: n)
    let narrow = tail > 0 ? GEMM.microKernel(context, k: k, rows: rows, width: width, rowStride: width) : ""
    let parallel = Threading.worthSplitting(work: macs(context), iterations: panels)
    out.line("let src = x0")
    Threading.emitLoop("panel", panels, parallel: parallel, &out) { out in
      out.block("withUnsafeTemporaryAllocation(of: Float.self, capacity: \(rows * width))") { out in
        out.line("buffer in")
        out.line("let stage = buffer.baseAddress!")
        out.line("let n = panel &* \(width)")
        out.line("let columns = panel == \(full) ? \(tail) : \(width)")
        if tail > 0 {
          out.line("var b = src + n")
          out.block("if panel == \(full)") { out in
            out.line("scratch.update(repeating: 0, count: \(k * width))")
            out.block(forLoop("i", k)) { out in
              out.line("(scratch + (i &* \(width))).update(from: src + (i &* \(n) &+ n), count: \(tail))")
            }
            out.line("b = UnsafePointer(scratch)")
          }
        } else {
          out.line("let b = src + n")
        }
        out.block(forLoop("block", blocks)) { out in
          out.line("let a = UnsafePointer(weights + (\(context.weightOffset) &+ block &* \(k * rows)))")
          out.line("let bias = UnsafePointer(weights + (\(biasOffset) &+ block &* \(rows)))")
          if tail > 0 {
            out.block("if panel == \(full)") { out in
              out.line("Self.\(narrow)(a, b, bias, stage)")
            }
            out.block("else") { out in out.line("Self.\(wide)(a, b, bias, stage)") }
          } else {
            out.line("Self.\(wide)(a, b, bias, stage)")
          }
          out.line("let valid = block == \(blocks - 1) ? \(m - (blocks - 1) * rows) : \(rows)")
          out.block("for r in 0..<valid") { out in
            out.line("let c = block &* \(rows) &+ r")
            out.line("let o = y + (c &* \(n) &+ n)")
            out.line("let s = stage + (r &* \(width))")
            out.block("for p in 0..<columns") { out in
              context.store("s[p]", to: "o[p]", channel: "c").forEach { out.line($0) }
            }
          }
        }
      }
    }
  }
}

/// How an SGEMM step (1x1 convolution or im2col) is cut: `blocks` of `rows` output channels and
/// `panels` of `width` pixels, the last one `tail` pixels wide when `width` does not divide `n`;
/// the bias follows the `[block][k][rows]` packed weights.
struct GEMMPanels {
  let blocks: Int
  let biasOffset: Int
  let full: Int
  let tail: Int
  let panels: Int

  init(m: Int, k: Int, n: Int, rows: Int, width: Int, weightOffset: Int) {
    blocks = (m + rows - 1) / rows
    biasOffset = weightOffset + blocks * k * rows
    full = n / width
    tail = n % width
    panels = full + (tail > 0 ? 1 : 0)
  }
}
