/// `conv` and `dwconv`: one of six kernels per step, chosen once by `Convolution.kernel`
/// (`ConvolutionKernel`; docs/codegen.md, "Layouts"): the 1x1 SGEMM (`GEMM.swift`), the SIMD
/// depthwise kernels (`Convolution+Depthwise*.swift`), Winograd F(2x2, 3x3), im2col + SGEMM for
/// few input channels (`Im2col.swift`), the direct register tiles (`Convolution+Direct.swift`,
/// weights packed at load as `[group][block][ic][ky][kx][block channels]`, tap-major on
/// 16-register targets), and, with fewer output channels per group than a vector, "axpy" rows
/// in which the compiler vectorizes over output columns (weights in PyTorch's OIHW order).
/// Every decision that depends on the kernel (scratch, weight packing, tap-major weights) asks
/// `kernel`, so they cannot disagree with what `emit` runs.
enum Convolution {
  struct Geometry {
    var groups, inPerGroup, outPerGroup, kernelH, kernelW: Int
    var strideH, strideW, dilationH, dilationW, padTop, padLeft: Int
    var paddedH, paddedW: Int
    var needsPadding: Bool
  }

  static func geometry(_ context: KernelContext) -> Geometry {
    let input = context.input
    let output = context.output
    let window = context.window ?? Window(kernel: .square(1), stride: .square(1), padding: .zero,
                                          dilation: .square(1))
    let groups = context.layer.kind == .dwconv ? input.channels : context.attributes.groups
    // Note: `ceil` reads past the bottom/right padding; the copy covers what the last window reads.
    let reachH = (output.height - 1) * window.stride.height
      + window.dilation.height * (window.kernel.height - 1) + 1 - window.padding.top
    let reachW = (output.width - 1) * window.stride.width
      + window.dilation.width * (window.kernel.width - 1) + 1 - window.padding.left
    let paddedH = window.padding.top + max(input.height + window.padding.bottom, reachH)
    let paddedW = window.padding.left + max(input.width + window.padding.right, reachW)
    return Geometry(
      groups: groups, inPerGroup: input.channels / groups, outPerGroup: output.channels / groups,
      kernelH: window.kernel.height, kernelW: window.kernel.width,
      strideH: window.stride.height, strideW: window.stride.width,
      dilationH: window.dilation.height, dilationW: window.dilation.width,
      padTop: window.padding.top, padLeft: window.padding.left,
      paddedH: paddedH, paddedW: paddedW,
      needsPadding: paddedH != input.height || paddedW != input.width)
  }

  /// Whether the SIMD register-tile kernel is used (else the axpy-row kernel).
  static func usesTiles(_ context: KernelContext) -> Bool {
    geometry(context).outPerGroup >= context.lanes
  }

  /// Multiply-adds of the step.
  static func macs(_ context: KernelContext) -> Int {
    let g = geometry(context)
    return (context.output.elementCount ?? 0) * g.inPerGroup * g.kernelH * g.kernelW
  }

  /// Floats of scratch the step's kernel needs (padded copies, panels, transformed tiles).
  static func scratchCount(_ context: KernelContext) -> Int {
    kernel(context) == .winograd ? winogradScratch(context) : scratchCountWithoutWinograd(context)
  }

  /// The kernel the step runs on: the first rule that matches. With `winograd: false`, the one
  /// it would run on if it were not among the network's Winograd layers (what the Winograd
  /// budget compares against).
  static func kernel(_ context: KernelContext, winograd: Bool = true) -> ConvolutionKernel {
    if isPointwise(context) { return .pointwise }
    if usesDepthwise(context) { return .depthwise }
    if winograd && usesWinograd(context) { return .winograd }
    if usesIm2col(context) { return .im2col }
    return usesTiles(context) ? .directTiles : .rows
  }

  /// Floats of scratch the step would need on its kernel other than Winograd's.
  static func scratchCountWithoutWinograd(_ context: KernelContext) -> Int {
    let g = geometry(context)
    let chosen = kernel(context, winograd: false)
    switch chosen {
    case .pointwise:
      let cut = pointwiseScratch(context)
      return cut.tail + cut.subsampled + cut.packed
    case .depthwise, .winograd: return 0
    case .im2col: return im2colInputCount(context)
    case .directTiles, .rows:
      let copies = g.needsPadding || (chosen == .directTiles && directInterleavesRows(context))
      // A copy per thread lives in the part buffers (`directCopiesPerThread`).
      guard copies, !(chosen == .directTiles && directCopiesPerThread(context)) else { return 0 }
      return paddedInputFloats(context)
    }
  }

  /// Floats of the step's input copied inside its zero border (`emitPaddedCopy`): the shared
  /// copy in `scratch`, or each thread's own (`directCopiesPerThread`).
  static func paddedInputFloats(_ context: KernelContext) -> Int {
    let g = geometry(context)
    return context.input.channels * g.paddedH * g.paddedW
  }

  /// Floats of scratch the step needs at `Threading.plannedThreads` threads on its kernel
  /// other than Winograd's, counting the padded copies that each thread makes for itself
  /// (`directCopiesPerThread`): what the Winograd memory budget weighs.
  static func plannedScratchWithoutWinograd(_ context: KernelContext) -> Int {
    guard kernel(context, winograd: false) == .directTiles, directCopiesPerThread(context) else {
      return scratchCountWithoutWinograd(context)
    }
    return Threading.plannedThreads * paddedInputFloats(context)
  }

  /// Output channels per packed weight block (`[block][inner][channels]`), or nil for the
  /// plain OIHW layout of the depthwise and axpy-row kernels (Winograd packs its own).
  static func packingBlock(_ context: KernelContext) -> Int? {
    switch kernel(context) {
    case .pointwise: return pointwiseRows(context)
    case .im2col: return im2colRows(context)
    case .directTiles: return channelTile(context)
    case .depthwise, .winograd, .rows: return nil
    }
  }

  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let g = geometry(context)
    let chosen = kernel(context)
    precondition(context.step.residual == nil || chosen == .pointwise
                   || (chosen == .directTiles && pointwiseRunsDirect(context)),
                 "unreachable: Lowering fuses residuals only into 1x1 convolutions")
    context.helpers?.reserve(KernelHelpers.ScratchNeed(shared: scratchCount(context), part: 0))
    switch chosen {
    case .pointwise:
      emitPointwise(context, &out)
    case .depthwise:
      emitDepthwise(context, g, &out)
    case .winograd:
      emitWinograd(context, g, &out)
      // The transform clamps relu/relu6 itself; any other follower runs as a pass.
      let clamps = vectorClamp(context) != nil
      Elementwise.emitPasses(clamps ? context.passFollowers : context.step.followers, context, &out)
      return
    case .im2col:
      emitIm2colInput(context.input, g, &out)
      emitIm2col(context, g, &out)
    case .directTiles:
      if !directCopiesPerThread(context) {
        emitPaddedCopy(context.input, g, splitsRows: directSplitsRows(context),
                       interleaved: directInterleavesRows(context), &out)
      }
      emitDirect(context, g, &out)
    case .rows:
      emitPaddedCopy(context.input, g, &out)
      emitRows(context, g, &out)
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }

  /// Copies `x0` inside its zero border into `base` (`scratch`, or a part's own buffer) and
  /// names the copy `src` (or names `x0` as `src`); `splitsRows` and `serial` as in
  /// `emitPaddedPlanes`.
  static func emitPaddedCopy(_ input: Shape, _ g: Geometry, splitsRows: Bool = false,
                             interleaved: Bool = false, into base: String = "scratch",
                             serial: Bool = false, _ out: inout SwiftEmitter) {
    guard g.needsPadding || interleaved else {
      out.line("let src = x0")
      return
    }
    emitPaddedPlanes(input, g, rowLength: g.paddedW, splitsRows: splitsRows, interleaved: interleaved,
                     into: base, serial: serial, &out) { out in
      emitPaddedRow(input, padLeft: g.padLeft, paddedW: g.paddedW, &out)
    }
  }

  /// A padded copy of `x0` into `base` (`scratch` unless given), channel by channel (planes of `g.paddedH` rows of
  /// `rowLength` floats), then `let src`: the padding rows above and below are zeroed, and
  /// `row` writes each input row into the padded row `to` (with `c` and `row` in scope).
  /// Threads split the channels, or with `splitsRows` (for a kernel whose threads then take
  /// halves of the output rows: `directSplitsRows`) the two halves of every channel's rows, so
  /// each core copies the rows it will read, which a pixel-split layer before wrote on that core;
  /// with `serial`, the calling thread (or part) copies every channel (its own copy:
  /// `directCopiesPerThread`).
  ///
  /// With `interleaved`, each group's padded rows hold every input channel of the group in
  /// turn (`[group][paddedRow][ic][rowLength]`): channel `c`'s rows are `inPerGroup *
  /// rowLength` floats apart and its first row starts `(c % inPerGroup) * rowLength` into its
  /// group (`directInterleavesRows`).
  static func emitPaddedPlanes(_ input: Shape, _ g: Geometry, rowLength: Int, splitsRows: Bool = false,
                               interleaved: Bool = false, into base: String = "scratch",
                               serial: Bool = false,
                               _ out: inout SwiftEmitter, row: (inout SwiftEmitter) -> Void) {
    // Only the border is zeroed: the interior is overwritten by the copy (zeroing the whole
    // buffer first doubled the memory traffic: VGG-16's first layers write 13 MB twice).
    let plane = g.paddedH * rowLength
    let rowStride = interleaved ? g.inPerGroup * rowLength : rowLength
    let bottomRows = g.paddedH - g.padTop - input.height
    // Threads split the channels of big copies (VGG-16's 224² x 64 input is 13 MB, ~1.5 ms on
    // one core: serial, it capped the second thread's gain on those layers); a copied float
    // counts as 32 multiply-adds toward the threshold, about what it costs from L2 or L3 (a
    // float read and written at ~20 GB/s against ~58 G multiply-adds/s). At 8, copies of
    // 30-120 K floats stayed on the calling thread while the other waited: 2 threads,
    // interleaved, SqueezeNet 1.1's 55² expand3x3 layers 0.317 -> 0.303 and 0.295 -> 0.288 ms
    // (network 3.89 -> 3.85), ResNet-50's 14² and 7² conv2 layers 4-6 % faster.
    let parallel = !serial && Threading.worthSplitting(work: 32 * input.channels * plane, iterations: input.channels)
    // One channel's plane: `rows` (a `for` range over input rows), with its top border when
    // `top` and its bottom border when `bottom` (conditions in the generated code, or nil).
    func channel(rows: String, top: String?, bottom: String?, _ out: inout SwiftEmitter) {
      func guarded(_ condition: String?, _ statement: String) -> String {
        condition.map { "if \($0) { \(statement) }" } ?? statement
      }
      // Zero rows `first..<first + count` of the channel.
      func zeroRows(_ first: Int, _ count: Int, _ condition: String?) {
        guard count > 0 else { return }
        if !interleaved {
          let start = first == 0 ? "plane" : "(plane + \(first * rowLength))"
          out.line(guarded(condition, "\(start).update(repeating: 0, count: \(count * rowLength))"))
          return
        }
        out.block(condition.map { "if \($0)" } ?? "do") { out in
          out.block(forLoop("r", count)) { out in
            out.line("(plane + (\(first) &+ r) &* \(rowStride)).update(repeating: 0, count: \(rowLength))")
          }
        }
      }
      if interleaved {
        out.line("let plane = \(base) + ((c / \(g.inPerGroup)) &* \(g.inPerGroup * plane) &+ (c % \(g.inPerGroup)) &* \(rowLength))")
      } else {
        out.line("let plane = \(base) + (c &* \(plane))")
      }
      zeroRows(0, g.padTop, top)
      out.block("for row in \(rows)") { out in
        out.line(g.padTop > 0 ? "let to = plane + (row &+ \(g.padTop)) &* \(rowStride)" : "let to = plane + row &* \(rowStride)")
        row(&out)
      }
      zeroRows(g.padTop + input.height, bottomRows, bottom)
    }
    if parallel && splitsRows && input.height >= 2 {
      Threading.emitLoop("half", 2, parallel: true, &out) { out in
        out.block(forLoop("c", input.channels)) { out in
          channel(rows: "(half &* \(input.height) / 2)..<((half &+ 1) &* \(input.height) / 2)",
                  top: "half == 0", bottom: "half == 1", &out)
        }
      }
    } else {
      Threading.emitLoop("c", input.channels, parallel: parallel, &out) { out in
        channel(rows: "0..<\(input.height)", top: nil, bottom: nil, &out)
      }
    }
    out.line("let src = UnsafePointer(\(base))")
  }

  /// Writes input row `row` of channel `c` (both in scope) into the padded row at `to`, inside
  /// its zero border: `padLeft` zeros, the row, zeros up to `paddedW`.
  static func emitPaddedRow(_ input: Shape, padLeft: Int, paddedW: Int, _ out: inout SwiftEmitter) {
    let rightPad = paddedW - padLeft - input.width
    if padLeft > 0 { out.line("to.update(repeating: 0, count: \(padLeft))") }
    let start = padLeft > 0 ? "(to + \(padLeft))" : "to"
    out.line("\(start).update(from: x0 + (c &* \(input.height) &+ row) &* \(input.width), count: \(input.width))")
    if rightPad > 0 { out.line("(to + \(padLeft + input.width)).update(repeating: 0, count: \(rightPad))") }
  }

  /// Axpy rows: `y[c, oy, :] += w * x[ic, oy*s + ky*d, (: * s) + kx*d]`.
  static func emitRows(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let output = context.output
    let inner = g.inPerGroup * g.kernelH * g.kernelW
    let biasOffset = context.weightOffset + output.channels * inner
    let parallel = Threading.worthSplitting(work: macs(context), iterations: output.channels)
    Threading.emitLoop("c", output.channels, parallel: parallel, &out) { out in
      out.line("let group = c / \(g.outPerGroup)")
      out.line("let kernel = weights + (\(context.weightOffset) &+ c &* \(inner))")
      out.line("let bias = weights[\(biasOffset) &+ c]")
      out.line("let groupInput = src + (group &* \(g.inPerGroup * g.paddedH * g.paddedW))")
      out.block(forLoop("oy", output.height)) { out in
        out.line("let o = y + ((c &* \(output.height) &+ oy) &* \(output.width))")
        if g.strideW == 1 {
          emitRegisterRow(context, g, &out)
        } else {
          emitAxpyRow(context, g, &out)
        }
        let store = context.store("o[ox]", to: "o[ox]", channel: "c")
        if store.count > 1 {
          out.block(forLoop("ox", output.width)) { out in store.forEach { out.line($0) } }
        }
      }
    }
  }

  /// Stride-1 rows: each chunk of `lanes` output columns is summed over the whole window in one
  /// register and stored once (the axpy form loads and stores the row once per tap: LeNet-5's
  /// conv1, 1 → 6 channels, ran at 4.7 GFLOP/s that way). A row that is not a whole number of
  /// chunks ends with one more chunk that overlaps the previous one (recomputing a few columns
  /// costs far less than scalar columns, which are one serial FMA chain each); a row narrower
  /// than `lanes` uses the widest of SIMD8/SIMD4 that fits, the same way. Only rows narrower than
  /// 4 stay scalar.
  static func emitRegisterRow(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let width = context.output.width
    let lanes = [context.lanes, 8, 4].first { $0 <= width && $0 <= context.lanes } ?? 0
    let vector = "SIMD\(lanes)<Float>"
    func rowPointer(_ column: String) -> String {
      "groupInput + ((ic &* \(g.paddedH) &+ oy &* \(g.strideH) &+ ky &* \(g.dilationH)) &* \(g.paddedW) &+ \(column))"
    }
    func window(_ out: inout SwiftEmitter, _ body: (inout SwiftEmitter) -> Void) {
      out.block(forLoop("ic", g.inPerGroup)) { out in
        out.block(forLoop("ky", g.kernelH)) { out in
          out.block(forLoop("kx", g.kernelW)) { out in
            out.line("let wk = kernel[(ic &* \(g.kernelH) &+ ky) &* \(g.kernelW) &+ kx]")
            body(&out)
          }
        }
      }
    }
    func chunk(_ out: inout SwiftEmitter) {
      out.line("var acc = \(vector)(repeating: bias)")
      window(&out) { out in
        out.line("let x = UnsafeRawPointer(\(rowPointer("ox &+ kx &* \(g.dilationW)"))).loadUnaligned(as: \(vector).self)")
        out.line("acc = \(context.multiplyAdd("acc", "x", "wk"))")
      }
      out.line("UnsafeMutableRawPointer(o + ox).storeBytes(of: acc, as: \(vector).self)")
    }
    guard lanes > 0 else {
      out.block("for ox in 0..<\(width)") { out in
        out.line("var sum = bias")
        window(&out) { out in
          out.line("sum += wk * (\(rowPointer("ox &+ kx &* \(g.dilationW)")))[0]")
        }
        out.line("o[ox] = sum")
      }
      return
    }
    let chunks = width / lanes
    out.block(forLoop("chunk", chunks)) { out in
      out.line("let ox = chunk &* \(lanes)")
      chunk(&out)
    }
    if width % lanes > 0 {
      out.block("do") { out in
        out.line("let ox = \(width - lanes)  // overlaps the previous chunk")
        chunk(&out)
      }
    }
  }

  /// Strided rows: `y[c, oy, :] += w * x[…]` one tap at a time (the compiler vectorizes `ox`).
  static func emitAxpyRow(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let output = context.output
        out.line("o.update(repeating: bias, count: \(output.width))")
        out.block(forLoop("ic", g.inPerGroup)) { out in
          out.block(forLoop("ky", g.kernelH)) { out in
            out.line("let r = groupInput + ((ic &* \(g.paddedH) &+ oy &* \(g.strideH) &+ ky &* \(g.dilationH)) &* \(g.paddedW))")
            out.block(forLoop("kx", g.kernelW)) { out in
              out.line("let wk = kernel[(ic &* \(g.kernelH) &+ ky) &* \(g.kernelW) &+ kx]")
              out.line("let q = r + (kx &* \(g.dilationW))")
              out.block(forLoop("ox", output.width)) { out in
                out.line("o[ox] += wk * q[ox &* \(g.strideW)]")
              }
            }
          }
        }
  }
}

/// The kernels a convolution step can run on (`Convolution.kernel`).
enum ConvolutionKernel: Equatable {
  /// 1x1, one group, no padding: SGEMM on the C,H,W input (`GEMM.swift`).
  case pointwise
  /// One input and one output channel per group: the SIMD depthwise kernels.
  case depthwise
  /// 3x3 stride 1 within the network's Winograd budget: F(2x2, 3x3).
  case winograd
  /// At most `im2colMaxInputChannels` input channels (conv1-style layers): im2col + SGEMM.
  case im2col
  /// At least one vector of output channels per group: the direct register tiles.
  case directTiles
  /// Fewer output channels per group than a vector: axpy rows.
  case rows
}
