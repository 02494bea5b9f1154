/// conv1-style layers (few input channels, large kernels or strides: 7x7 s2 or 11x11 s4 on RGB,
/// VGG's first 3x3): tile-wise im2col + the SGEMM micro-kernel of `GEMM.swift`.
///
/// The direct kernel runs these at ~20 % of the FMA peak (its inner loop over input channels is 3
/// long and every input value is a strided broadcast). Here, for each panel of `2 * lanes`
/// consecutive output pixels (in flat `oy * W + ox` order, so panels may span rows), the
/// `[ic][ky][kx]` x `[pixel]` matrix is gathered from the zero-padded input into the thread's work buffer
/// (`K * width` floats, at most ~96 KB, a group of panels at a time: it stays in L1/L2 while
/// every block of output channels reads it, `im2colGroupPanels`) and the micro-kernel computes
/// `rows` output channels x `width` pixels from it.
/// Weights are packed like the 1x1 GEMM's: `[block of rows][ic][ky][kx][row]`, bias
/// `[block][row]`. Threads split the pixel panels.
///
/// A strided layer's padded copy is stored by column phase (`Im2colInput`), so that every
/// window tap reads the pixels of an output row as one contiguous run: gathering them with the
/// stride, value by value, cost more than the GEMM on narrow stems (NiN's 11x11 s4: 0.34 of
/// 2.14 ms; MobileNetV1's 3x3 s2 into 32 channels: 0.11 of 0.41 ms).
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
    GEMM.rows(context.output.channels, maxRows: context.accumulators / (im2colWidth(context) / context.lanes))
  }

  /// Pixels per im2col panel: 3 vectors (x 8 rows: 24 accumulators, 11 loads per 24 FMAs), 2
  /// with AVX2's 12 accumulators (x 6 rows).
  static func im2colWidth(_ context: KernelContext) -> Int {
    (context.hasSixteenRegisters ? 2 : 3) * context.lanes
  }

  /// How the padded input of an im2col layer is stored: each padded row as `phases` runs of
  /// `phaseWidth` floats, run `p` holding columns `p, p + s, p + 2s, ...` (`s` the column
  /// stride). Window tap `kx` at output column `ox` then reads run `(kx * d) % s`, index
  /// `ox + (kx * d) / s`: consecutive output columns are consecutive floats. Stride 1 is one
  /// run, the plain padded copy.
  struct Im2colInput {
    var phases, phaseWidth, rows: Int
    var rowLength: Int { phases * phaseWidth }
    var plane: Int { rows * rowLength }

    init(_ g: Geometry) {
      phases = g.strideW
      phaseWidth = (g.paddedW + g.strideW - 1) / g.strideW
      rows = g.paddedH
    }

    /// `let s = <origin of window tap kx>`, `r` being the window row's origin.
    func emitTap(_ g: Geometry, _ out: inout SwiftEmitter) {
      if g.dilationW > 1 { out.line("let column = kx &* \(g.dilationW)") }
      let column = g.dilationW > 1 ? "column" : "kx"
      if phases == 1 {
        out.line("let s = r + \(column)")
      } else {
        out.line("let s = r + (\(column) % \(phases) &* \(phaseWidth) &+ \(column) / \(phases))")
      }
    }
  }

  /// Floats of scratch an im2col layer's input copy takes: `Im2colInput` per channel and one
  /// panel of slack, which the row-run gather may read past the last row (`emitRowRunGather`).
  static func im2colInputCount(_ context: KernelContext) -> Int {
    context.input.channels * Im2colInput(geometry(context)).plane + im2colWidth(context)
  }

  /// Copies `x0` into `scratch` as `Im2colInput` lays it out, naming the result `src`. Always
  /// a copy (even unpadded at stride 1), so that the gather's reads past a row stay in `scratch`.
  static func emitIm2colInput(_ input: Shape, _ g: Geometry, _ out: inout SwiftEmitter) {
    let layout = Im2colInput(g)
    let (s, runs) = (g.strideW, layout.phaseWidth)
    // Columns of run `p` that come from the input: `j * s + p - padLeft` in `0..<width`; in
    // `inner` every run's column does, so one loop copies them all without a test.
    let first = (0..<s).map { p in max(0, (g.padLeft - p + s - 1) / s) }
    let end = (0..<s).map { p in min(runs, (g.padLeft + input.width - p + s - 1) / s) }
    let inner = (first.max()!, max(first.max()!, end.min()!))
    emitPaddedPlanes(input, g, rowLength: layout.rowLength, &out) { out in
      guard s > 1 else {
        emitPaddedRow(input, padLeft: g.padLeft, paddedW: g.paddedW, &out)
        return
      }
      out.line("let from = x0 + (c &* \(input.height) &+ row) &* \(input.width)")
      func edge(_ range: Range<Int>, _ out: inout SwiftEmitter) {
        guard !range.isEmpty else { return }
        out.block("for j in \(range.lowerBound)..<\(range.upperBound)") { out in
          out.block(forLoop("p", s)) { out in
            out.line("let x = j &* \(s) &+ p &- \(g.padLeft)")
            out.line("to[p &* \(runs) &+ j] = x >= 0 && x < \(input.width) ? from[x] : 0")
          }
        }
      }
      edge(0..<inner.0, &out)
      if inner.1 > inner.0 {
        out.block("for j in \(inner.0)..<\(inner.1)") { out in
          out.line(g.padLeft > 0 ? "let q = from + (j &* \(s) &- \(g.padLeft))" : "let q = from + j &* \(s)")
          for p in 0..<s { out.line(p == 0 ? "to[j] = q[0]" : "to[\(p * runs) &+ j] = q[\(p)]") }
        }
      }
      edge(inner.1..<runs, &out)
    }
  }

  static func emitIm2col(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let output = context.output
    let k = g.inPerGroup * g.kernelH * g.kernelW
    let m = output.channels
    let n = output.height * output.width
    let rows = im2colRows(context)
    let width = im2colWidth(context)
    let cut = GEMMPanels(m: m, k: k, n: n, rows: rows, width: width, weightOffset: context.weightOffset)
    let (blocks, biasOffset, full, tail, panels) = (cut.blocks, cut.biasOffset, cut.full, cut.tail, cut.panels)
    let layout = Im2colInput(g)
    // Whole panels of whole blocks go straight into `y`, clamped by the kernel (the panel's
    // pixels are consecutive in the output plane); the last panel, a partial block or an
    // epilogue the kernel cannot apply go through the staging buffer.
    let clamp = vectorClamp(context)
    let lastRows = m - (blocks - 1) * rows
    let kernel = GEMM.microKernel(context, rows: rows, width: width, clamp: clamp ?? .none)
    let direct = cut.directStore(clamped: clamp != nil, rows: rows, lastRows: lastRows)
    let staged = StagedStore(rows: rows, lastRows: lastRows, blocks: blocks, n: n, clamped: clamp != nil, residual: nil)
    let parallel = Threading.worthSplitting(work: macs(context), iterations: panels)
    let panelFloats = k * width
    let group = im2colGroupPanels(panelFloats: panelFloats, panels: panels)
    out.line("// im2col panels of \(width) pixels x \(k) + SGEMM \(rows)x\(width), \(group) panel(s) gathered at a time")
    Threading.emitParts(panels, parallel: parallel, &out) { out in
      Threading.emitPartBuffer(group * panelFloats + rows * width, context, &out) { out in
        out.line("let packed = buffer.baseAddress!")
        if direct != "true" { out.line("let stage = packed + \(group * panelFloats)") }
        out.block("for groupStart in stride(from: first, to: end, by: \(group))") { out in
          out.line("let groupEnd = min(groupStart &+ \(group), end)")
          // In increasing order: a gather's writes past its panel land in the next one's
          // first tap (or `stage`), which that panel's gather then overwrites.
          out.block("for panel in groupStart..<groupEnd") { out in
            out.line("let packedInput = packed + (panel &- groupStart) &* \(panelFloats)")
            out.line("let n = panel &* \(width)")
            out.line("let columns = panel == \(full) ? \(tail) : \(width)")
            if output.width >= width {
              emitRowRunGather(context, g, layout, &out)
            } else {
              emitOffsetGather(context, g, layout, &out)
            }
          }
          out.block(forLoop("block", blocks)) { out in
            out.line("let a = UnsafePointer(weights + (\(context.weightOffset) &+ block &* \(k * rows)))")
            out.line("let bias = UnsafePointer(weights + (\(biasOffset) &+ block &* \(rows)))")
            out.block("for panel in groupStart..<groupEnd") { out in
              out.line("let packedInput = UnsafePointer(packed + (panel &- groupStart) &* \(panelFloats))")
              out.line("let n = panel &* \(width)")
              emitIm2colTile(context, kernel: kernel, direct: direct, staged: staged, k: k, n: n, rows: rows,
                             width: width, full: full, tail: tail, &out)
            }
          }
        }
      }
    }
  }

  /// Panels an im2col step gathers before running its blocks of output channels over them,
  /// block by block: as many as `im2colGroupBytes` hold (at least one). Panel by panel, every
  /// block in turn wrote its rows' part of the panel, so the stores went to all the output
  /// channels' planes at once, more streams than the prefetcher follows; block by block over a
  /// group, each block writes runs of its own planes. MobileNetV1's 3x3 s2 conv1 into 32
  /// channels (4 blocks, 1.6 MB of output) took 0.356 ms panel by panel (0.274 with its
  /// stores sent to a small buffer that stays in L1), 0.301 over groups of 8 or 16 panels
  /// (41 or 83 KB), 0.311 over 32 (interleaved profiles, 1 thread).
  static func im2colGroupPanels(panelFloats: Int, panels: Int) -> Int {
    max(1, min(panels, im2colGroupBytes / (4 * panelFloats)))
  }

  /// Bytes of gathered panels per group (`im2colGroupPanels`): they stay in L2. 96 KB (MobileNetV1
  /// as fast) put SqueezeNet 1.1's stem buffers, which live in the arena's gaps, 0.4 % past
  /// them (`MemoryPlanTests`).
  static let im2colGroupBytes = 64 * 1024

  /// One block's tile of one panel: stored by the micro-kernel straight into `y` where
  /// `direct` holds, else through `stage` (the last panel, a partial block, an epilogue).
  private static func emitIm2colTile(_ context: KernelContext, kernel: String, direct: String, staged: StagedStore,
                                     k: Int, n: Int, rows: Int, width: Int, full: Int, tail: Int,
                                     _ out: inout SwiftEmitter) {
    if direct != "false" {
      out.block(direct == "true" ? "do" : "if \(direct)") { out in
        out.line("Self.\(kernel)(a, packedInput, bias, y + (block &* \(rows * n) &+ n), \(k), \(width), \(n))")
      }
    }
    guard direct != "true" else { return }
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

  /// Gathers a panel that spans at most two output rows (output rows at least a panel wide):
  /// each window tap copies a panel's worth of vectors from the first row's run, and where the
  /// panel goes on into the next row, a panel's worth from that row's start over the pixels
  /// from `split` on. Copying whole vectors reads past the row (into the next run or row, or
  /// the copy's slack) and writes past the tap's row of `b` (into the next tap's, or `stage`
  /// after the last): both are overwritten or dropped, and each pixel is its own SIMD lane in
  /// the micro-kernel, so what a dropped lane held never reaches a stored one. The exact loops
  /// this replaced, with trip counts known only at run time, cost 0.15 ms of NiN's conv1.
  static func emitRowRunGather(_ context: KernelContext, _ g: Geometry, _ layout: Im2colInput,
                               _ out: inout SwiftEmitter) {
    let width = im2colWidth(context)
    let outputWidth = context.output.width
    let rowStep = g.strideH * layout.rowLength
    func copy(from: String, to: String, _ out: inout SwiftEmitter) {
      for v in stride(from: 0, to: width, by: context.lanes) {
        let at = v == 0 ? "" : " + \(v)"
        out.line("UnsafeMutableRawPointer(\(to)\(at)).storeBytes(of: UnsafeRawPointer(\(from)\(at)).loadUnaligned(as: \(context.vectorType).self), as: \(context.vectorType).self)")
      }
    }
    out.line("let oy = n / \(outputWidth)")
    out.line("let ox = n &- oy &* \(outputWidth)")
    out.line("let split = min(columns, \(outputWidth) &- ox)")
    out.line("let first = oy &* \(rowStep) &+ ox")
    out.line("let second = (oy &+ 1) &* \(rowStep)")
    out.line("var b = packedInput")
    emitTapLoops(g, layout, width: width, &out) { out in
      out.line("let t = s + first")
      copy(from: "t", to: "b", &out)
      out.block("if split < columns") { out in
        out.line("let u = s + second")
        out.line("let c = b + split")
        copy(from: "u", to: "c", &out)
      }
    }
  }

  /// Gathers a panel pixel by pixel through a table of window origins (output rows narrower
  /// than a panel, so a panel may span several).
  static func emitOffsetGather(_ context: KernelContext, _ g: Geometry, _ layout: Im2colInput,
                               _ out: inout SwiftEmitter) {
    let width = im2colWidth(context)
    let outputWidth = context.output.width
    Threading.emitPartInts("offsets", width, context, &out)
    // Window origin of each pixel; past-the-end pixels of the last panel repeat the last one
    // (their results are not stored).
    out.block(forLoop("p", width)) { out in
      out.line("let q = n &+ min(p, columns &- 1)")
      out.line("let oy = q / \(outputWidth)")
      out.line("let ox = q &- oy &* \(outputWidth)")
      out.line("offsets[p] = oy &* \(g.strideH * layout.rowLength) &+ ox")
    }
    out.line("var b = packedInput")
    emitTapLoops(g, layout, width: width, &out) { out in
      out.block(forLoop("p", width)) { out in out.line("b[p] = s[offsets[p]]") }
    }
  }

  /// `for ic, ky, kx { let s = <tap's origin>; body; b += width }` over the window taps in the
  /// packed weights' `[ic][ky][kx]` order.
  static func emitTapLoops(_ g: Geometry, _ layout: Im2colInput, width: Int, _ out: inout SwiftEmitter,
                           _ body: (inout SwiftEmitter) -> Void) {
    out.block(forLoop("ic", g.inPerGroup)) { out in
      out.block(forLoop("ky", g.kernelH)) { out in
        out.line("let r = src + (ic &* \(layout.plane) &+ ky &* \(g.dilationH * layout.rowLength))")
        out.block(forLoop("kx", g.kernelW)) { out in
          layout.emitTap(g, &out)
          body(&out)
          out.line("b += \(width)")
        }
      }
    }
  }
}
