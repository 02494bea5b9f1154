/// The SGEMM micro-kernel: `C[rows][width] = bias + A·B` for one panel, with SIMD over the
/// columns (pixels) so that the result rows are stored as whole vectors.
///
/// `A` is packed at load as `[rows-block][k][rows]` (one broadcast per row and k, read with a
/// literal offset), `B` is read as `k` rows of `width` consecutive floats `bStride` apart (the
/// C,H,W input itself for a 1x1 convolution, or a packed panel). The accumulators (`rows` x
/// `width / lanes` vectors, at most 24) are stored, optionally clamped, either straight into the
/// output rows or into a `[rows][width]` staging buffer that the step copies through its
/// epilogue. One function per distinct (rows, width, clamp), shared by every layer.
enum GEMM {
  /// Rows of the register tile for `m` output rows: at most `maxRows`, spread evenly.
  static func rows(_ m: Int, maxRows: Int = 12) -> Int {
    let blocks = (m + maxRows - 1) / maxRows
    return (m + blocks - 1) / blocks
  }

  /// `rows`, preferring a tile that leaves no partial last block: the largest divisor of `m`
  /// above `maxRows / 2`, if any. A partial block runs through the staging buffer and a copy,
  /// and with few blocks that is a large share of the layer: MobileNetV1's first pointwise
  /// layer (112² pixels, 64 channels) took 0.72 ms as 6 blocks of 11 rows (the last 9) and
  /// 0.51 ms as 8 blocks of 8 (1 thread, interleaved profiles on the AMD EPYC VM; onnxruntime
  /// 0.50). ResNet-50 and MobileNetV2, whose channel counts mostly divided already, were
  /// unchanged; DenseNet-121 1 % and SqueezeNet 1.1 1.5 % faster.
  static func evenRows(_ m: Int, maxRows: Int) -> Int {
    stride(from: maxRows, to: maxRows / 2, by: -1).first { m % $0 == 0 } ?? rows(m, maxRows: maxRows)
  }

  /// A clamp the micro-kernel applies to whole vectors before it stores them.
  enum Clamp: String {
    case none, relu, relu6

    /// Statements clamping the vector variable `name` in place; they need `zero` (and `six`
    /// for relu6) in scope. `replacing(with:where:)` compiles to vmaxps/vminps (codegen-notes
    /// pitfall 2).
    func statements(clamping name: String) -> [String] {
      switch self {
      case .none: return []
      case .relu: return ["\(name) = \(name).replacing(with: zero, where: \(name) .< zero)"]
      case .relu6: return Clamp.relu.statements(clamping: name)
        + ["\(name) = \(name).replacing(with: six, where: \(name) .> six)"]
      }
    }
  }

  /// Independent accumulators needed to keep the FMA units busy: 2 per cycle x 4 cycles of
  /// latency.
  static let latencyChains = 8

  /// The micro-kernel's name. Arguments `(a, b, bias, out, k, bStride, outStride)`: `a` is
  /// `[k][rows]`, `b` is k rows of `width` floats `bStride` apart, result row `r` goes to
  /// `out + r * outStride` (a staging buffer, or the output tensor itself), after `clamp`.
  ///
  /// The depth and the strides are arguments, not literals: every 1x1 layer of a network with
  /// the same tile shares one function (DenseNet-121 has 58 different depths), which is what
  /// keeps swiftc's time sane (codegen-notes pitfall 3). The loop body, where the time goes, is
  /// fully unrolled either way; a runtime trip count and pointer increment cost nothing there.
  ///
  /// With `residual`, one more argument `residual` (laid out like `out`, `outStride` apart) is
  /// added to every result before the clamp: a fused ResNet `add` (+ relu).
  static func microKernel(_ context: KernelContext, rows: Int, width: Int, clamp: Clamp,
                          residual: Bool = false) -> String {
    let lanes = context.lanes
    let vector = context.vectorType
    let vectors = width / lanes
    let key = "gemm rows\(rows) width\(width) \(clamp) lanes\(lanes) fma\(context.fma)\(residual ? " residual" : "")"
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      out.line("/// SGEMM micro-kernel: \(key).")
      out.line("/// `a`: `[k][\(rows)]`, `b`: k rows of \(width) floats `bStride` apart, `out`: \(rows) rows of \(width) floats `outStride` apart.")
      let residualParameter = residual ? ", _ residual: UnsafePointer<Float>" : ""
      out.block("@inline(never) private static func \(name)(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ k: Int, _ bStride: Int, _ outStride: Int\(residualParameter))") { out in
        for r in 0..<rows {
          out.line("let bias\(r) = \(vector)(repeating: bias[\(r)])")
          for v in 0..<vectors { out.line("var c\(r)_\(v) = bias\(r)") }
        }
        out.line("var ai = a")
        out.line("var bi = b")
        // One k step: accumulators `c<r>_<v><suffix>` += a[offset + r] * b[offset row].
        let step = { (suffix: String, aOffset: Int, bRow: String, out: inout SwiftEmitter) in
          for v in 0..<vectors {
            out.line("let b\(v)\(suffix) = UnsafeRawPointer(\(bRow) + \(v * lanes)).loadUnaligned(as: \(vector).self)")
          }
          for r in 0..<rows {
            out.line("let a\(r)\(suffix) = ai[\(aOffset + r)]")
            for v in 0..<vectors {
              let c = "c\(r)_\(v)\(suffix)"
              out.line("\(c) = \(context.multiplyAdd(c, "b\(v)\(suffix)", "a\(r)\(suffix)"))")
            }
          }
        }
        if rows * vectors < latencyChains {
          // Too few accumulators to hide the FMA latency (a 4-row x 1-vector tail: 4 chains
          // where 8 keep both FMA units busy): even and odd k go to two sets, added at the end.
          for r in 0..<rows {
            for v in 0..<vectors { out.line("var c\(r)_\(v)_odd = \(vector)()") }
          }
          out.block("for _ in 0..<(k >> 1)") { out in
            step("", 0, "bi", &out)
            step("_odd", rows, "(bi + bStride)", &out)
            out.line("ai += \(2 * rows)")
            out.line("bi += bStride &* 2")
          }
          out.block("if k & 1 != 0") { out in step("", 0, "bi", &out) }
          for r in 0..<rows {
            for v in 0..<vectors { out.line("c\(r)_\(v) += c\(r)_\(v)_odd") }
          }
        } else {
          out.block("for _ in 0..<k") { out in
            step("", 0, "bi", &out)
            out.line("ai += \(rows)")
            out.line("bi += bStride")
          }
        }
        if clamp != .none {
          out.line("let zero = \(vector)(repeating: 0)")
          if clamp == .relu6 { out.line("let six = \(vector)(repeating: 6)") }
        }
        for r in 0..<rows {
          out.line("let o\(r) = UnsafeMutableRawPointer(out + \(r) &* outStride)")
          if residual {
            out.line("let q\(r) = UnsafeRawPointer(residual + \(r) &* outStride)")
            for v in 0..<vectors {
              out.line("c\(r)_\(v) += (q\(r) + \(v * lanes * 4)).loadUnaligned(as: \(vector).self)")
            }
          }
          for v in 0..<vectors {
            clamp.statements(clamping: "c\(r)_\(v)").forEach { out.line($0) }
            out.line("(o\(r) + \(v * lanes * 4)).storeBytes(of: c\(r)_\(v), as: \(vector).self)")
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

extension GEMM {
  /// The kernel for a last panel of one pixel: `out[r] = bias[r] + sum_k a[k][r] b[k]` with
  /// SIMD over the block's `rows` output channels (one vector load of `a`'s `[k][rows]` per k)
  /// instead of over pixels. A whole-vector panel kernel spends `rows` FMAs per k on that one
  /// pixel: on 7² planes (49 = 3 x 16 + 1) the tail took a fifth of the layer (MobileNetV1's
  /// 7² 1024 -> 1024 on AVX2: 0.32 ms of 1.6; over channels 0.12 with the weights cold).
  /// Arguments `(a, b, bias, out, k)`: `b` is the pixel's `k` values, contiguous; `out` gets
  /// one vector, the `rows` results (after `clamp`) and `lanes - rows` floats of no meaning.
  ///
  /// `rows <= lanes`: each load reads `lanes - rows` floats past the k step, so the last one
  /// reads into the bias that follows the packed weights (`Convolution.tailRunsOverChannels`
  /// checks that there are enough). The whole vector is stored: with only `rows` lanes read
  /// back, LLVM narrowed the overlapping loads into 4- and 2-lane pieces and spilled (and with
  /// 4 pixels it gathered their broadcasts into shuffles: MobileNetV1's 14² 512 -> 512 layer
  /// 1.19 -> 1.74 ms). The sums run in 8 chains over k, added at the end (FMA latency).
  static func channelKernel(_ context: KernelContext, rows: Int, clamp: Clamp) -> String {
    let lanes = context.lanes
    let vector = context.vectorType
    let chains = 8
    let key = "gemv rows\(rows) \(clamp) lanes\(lanes) fma\(context.fma)"
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      out.line("/// Channel-vector kernel for a 1-pixel last panel: \(key).")
      out.line("/// `a`: `[k][\(rows)]` (each load reads \(lanes - rows) floats beyond), `b`: `[k]`, `out`: \(lanes) floats, the first \(rows) the results.")
      out.block("@inline(never) private static func \(name)(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ k: Int)") { out in
        for chain in 0..<chains { out.line("var s\(chain) = \(vector)()") }
        out.line("var ai = a")
        out.line("var bi = b")
        let step = { (chain: Int, out: inout SwiftEmitter) in
          out.line("let w\(chain) = UnsafeRawPointer(ai + \(chain * rows)).loadUnaligned(as: \(vector).self)")
          out.line("s\(chain) = \(context.multiplyAdd("s\(chain)", "w\(chain)", "bi[\(chain)]"))")
        }
        out.block("for _ in 0..<(k / \(chains))") { out in
          for chain in 0..<chains { step(chain, &out) }
          out.line("ai += \(chains * rows)")
          out.line("bi += \(chains)")
        }
        out.block("for _ in 0..<(k % \(chains))") { out in
          step(0, &out)
          out.line("ai += \(rows)")
          out.line("bi += 1")
        }
        let biasLanes = (0..<lanes).map { $0 < rows ? "bias[\($0)]" : "0" }.joined(separator: ", ")
        // Pairwise, so the chains add in a tree.
        var terms = (0..<chains).map { "s\($0)" }
        while terms.count > 1 {
          terms = stride(from: 0, to: terms.count, by: 2).map {
            $0 + 1 < terms.count ? "(\(terms[$0]) + \(terms[$0 + 1]))" : terms[$0]
          }
        }
        out.line("\(clamp == .none ? "let" : "var") c = \(vector)(\(biasLanes)) + \(terms[0])")
        if clamp != .none {
          out.line("let zero = \(vector)(repeating: 0)")
          if clamp == .relu6 { out.line("let six = \(vector)(repeating: 6)") }
        }
        clamp.statements(clamping: "c").forEach { out.line($0) }
        out.line("UnsafeMutableRawPointer(out).storeBytes(of: c, as: \(vector).self)")
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text
    }
    return context.helpers?.function(key, body) ?? "missingHelpers"
  }
}

extension Convolution {
  /// 1x1, one group, no padding: a plain GEMM on the C,H,W input (no im2col); with a stride,
  /// on a subsampled copy of it. (Small planes with many channels take the direct kernel
  /// instead: `pointwiseRunsDirect`.)
  static func isPointwise(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    return context.layer.kind == .conv && g.groups == 1 && g.kernelH == 1 && g.kernelW == 1
      && !g.needsPadding && !pointwiseRunsDirect(context)
  }

  /// Pixels per GEMM panel.
  static func panelWidth(_ context: KernelContext) -> Int { pointwiseTile(context).width }

  /// Output channels per GEMM register tile (the packing block).
  static func pointwiseRows(_ context: KernelContext) -> Int { pointwiseTile(context).rows }

  /// The register tile of a 1x1 layer: `rows` output channels x `width` pixels, up to 24
  /// accumulators (fewer rows where that makes every block whole, `GEMM.evenRows`), its shape
  /// chosen by the plane's size `n`. A plane of at most 4 vectors is one
  /// panel (6 x 4); up to 16 vectors (14x14, 13x13) panels of 6 vectors (4 x 6); larger planes
  /// 12 x 2. Measured on ResNet-50 (1 thread, against 12 x 2 everywhere): its 7x7 1x1 layers
  /// 1.10 -> 0.95 ms each, its 14x14 ones 0.86 -> 0.79 ms; on 56x56 and 28x28 planes 8 x 2,
  /// 8 x 3 and 6 x 4 came within noise of 12 x 2, and 4 x 6 was slower (0.70 -> 0.90 ms with
  /// 64 output channels). With AVX2's 12 accumulators, 6 x 2 everywhere (the classic Haswell
  /// SGEMM tile); there `evenRows` only where the depth is below 128. On deeper layers its
  /// 4-row blocks (the divisor it finds for power-of-two channel counts) cost more than a
  /// partial last block does: the `[k][16]` panel streams from L2 once per block, and
  /// MobileNetV1's 14² 512 -> 512 layers took 1.38 ms as 4-row blocks and 1.26 as 6-row ones
  /// (1 thread, interleaved profiles on the Zen 3 VM; onnxruntime about 1.40), its whole
  /// forward 5-10 % less; ResNet-50's 64-deep layer1 1x1 layers were ~5 % slower with 6 rows.
  static func pointwiseTile(_ context: KernelContext) -> (rows: Int, width: Int) {
    let lanes = context.lanes
    let n = context.output.height * context.output.width
    let vectors = context.hasSixteenRegisters ? 2 : n <= 4 * lanes ? 4 : n <= 16 * lanes ? 6 : 2
    let maxRows = context.accumulators / vectors
    let m = context.output.channels
    let deep = context.hasSixteenRegisters && geometry(context).inPerGroup >= 128
    return (deep ? GEMM.rows(m, maxRows: maxRows) : GEMM.evenRows(m, maxRows: maxRows), vectors * lanes)
  }

  /// How a 1x1 layer's GEMM is cut into blocks and panels (offsets from weight 0), for the
  /// sizing decisions; `emitPointwise` cuts the same with the step's weight offset.
  static func pointwisePanels(_ context: KernelContext) -> GEMMPanels {
    GEMMPanels(m: context.output.channels, k: geometry(context).inPerGroup,
               n: context.output.height * context.output.width,
               rows: pointwiseRows(context), width: panelWidth(context), weightOffset: 0)
  }

  /// Width of the last, partial panel's kernel: the tail rounded up to whole vectors.
  static func tailWidth(_ context: KernelContext, tail: Int) -> Int {
    (tail + context.lanes - 1) / context.lanes * context.lanes
  }

  /// Whether the last panel runs on a zero-filled copy (`[k][tailWidth]`): when the plane is
  /// narrower than the tail kernel, and when the full panels are packed; otherwise it overlaps
  /// the panel before it, reading the input in place. In place, a plane like 14x14 (196 floats
  /// a row) splits most of the tail's vector loads across cache lines: a 4-row x 1-vector tail
  /// took 1.6 ns per k in place, 1.45 copied, 0.89 copied with `latencyChains` (MobileNetV1's
  /// 14² pointwise layers: ~6 % of each).
  static func tailIsCopied(_ context: KernelContext, n: Int, tail: Int) -> Bool {
    tail > 0 && (n < tailWidth(context, tail: tail) || packsPanels(context))
  }

  /// Whether the last panel, one pixel, runs on `GEMM.channelKernel` (SIMD over the block's
  /// output channels) from a `[k]` copy: with AVX2's 16-pixel panels, 7² planes (49 pixels),
  /// 55² ones and 1x1 planes. Its loads read `lanes - rows` floats past a block, which the bias
  /// after the last block must cover. (AVX-512's panels on 7² planes leave no such tail.)
  static func tailRunsOverChannels(_ context: KernelContext) -> Bool {
    let cut = pointwisePanels(context)
    let rows = pointwiseRows(context)
    return context.hasSixteenRegisters && cut.tail == 1 && rows <= context.lanes
      && cut.blocks * rows >= context.lanes - rows
  }

  /// Floats of scratch: the last panel's pixel (`[k]` for `tailRunsOverChannels`, else
  /// zero-filled to `[k][tailWidth]` when the plane is too narrow to overlap it), then, for a
  /// strided 1x1, the subsampled input (`[k][n]`), then the full panels packed contiguous
  /// (`[panel][k][width]`) when `packsPanels`.
  static func pointwiseScratch(_ context: KernelContext) -> (tail: Int, subsampled: Int, packed: Int) {
    let g = geometry(context)
    let pixels = context.output.height * context.output.width
    let width = panelWidth(context)
    let cut = pointwisePanels(context)
    let strided = g.strideH != 1 || g.strideW != 1
    let copied = tailIsCopied(context, n: pixels, tail: cut.tail)
    let tailFloats = tailRunsOverChannels(context) ? g.inPerGroup * cut.tail
      : copied ? g.inPerGroup * tailWidth(context, tail: cut.tail) : 0
    return (tail: tailFloats,
            subsampled: strided ? g.inPerGroup * pixels : 0,
            packed: packsPanels(context) ? g.inPerGroup * min(cut.full, chunkPanels(context)) * width : 0)
  }

  /// Whether the full pixel panels are copied contiguous (one L2-sized chunk at a time, just
  /// before the weight blocks run over it): when a panel (`k` rows of `width` floats, `n` apart
  /// in the input) no longer fits L1 and at least 4 weight blocks read it again (ResNet-50's
  /// layer2 conv1, 512 x 784 pixels into 128 channels: 1.64 → 1.45 ms). Read in place, each of its rows is a separate, often line-splitting access that the
  /// prefetcher follows badly (SqueezeNet 1.1's classifier, 512 x 169 pixels into 1,000
  /// channels: 2.0 → 1.6 ms packed); the copy costs one pass over the input.
  ///
  /// With AVX2's 2-vector panels (16 pixels, 64 bytes a row) a panel is small, but read in
  /// place each of its rows is on another page once the plane is large: NiN's 54² cccp1 (96
  /// rows 11.7 KB apart) ran at 42 GFLOP/s (onnxruntime, whose SGEMM always packs, 84). There
  /// the panels are packed whenever two or more blocks read them and their rows span more than
  /// 128 KB (32 pages; Zen 3's L1 TLB holds 64).
  static func packsPanels(_ context: KernelContext) -> Bool {
    let k = geometry(context).inPerGroup
    let width = panelWidth(context)
    let cut = pointwisePanels(context)
    guard cut.full > 0 else { return false }
    if context.hasSixteenRegisters {
      let n = context.output.height * context.output.width
      if cut.blocks >= 2 && k * n * 4 > 128 * 1024 { return true }
    }
    return k * width * 4 > 24 * 1024 && cut.blocks >= 4
  }

  /// Whether the threads of a 1x1 layer each take a range of the panels (pixels) and run all
  /// weight blocks over it (packing their share of every chunk first when `packsPanels`),
  /// rather than splitting the blocks: when the weights are small enough for every core to read
  /// them all (≤ 1 MB) and there are at least 2 panels. Split by blocks,
  /// each core read the half of every panel that the other core had written (or packed), from
  /// that core's L2: ResNet-50's packed 56² 1x1 layers ran 1.41x faster on 2 threads than on 1,
  /// and SqueezeNet 1.1's squeeze layers (3 blocks of 11 channels, read in place) slower on 2
  /// than on 1 (features.4.squeeze 0.102 ms at 1 thread, 0.177 at 2 split by blocks, 0.071 by
  /// panels; MobileNetV2 at 2 threads 5.51 → 4.89 ms, interleaved profiles). Two panels are
  /// enough: SqueezeNet 1.1's 13² squeeze layers (a 96- and an 80-pixel panel) took 0.053–0.086
  /// ms by panels against 0.061–0.092 by blocks, the network 3.91 against 3.97 ms at 2 threads.
  static func threadsOwnPanels(_ context: KernelContext) -> Bool {
    let k = geometry(context).inPerGroup
    return k * context.output.channels * 4 <= 1 << 20 && pointwisePanels(context).panels >= 2
  }

  /// The clamp the micro-kernel can apply itself when the fused followers are exactly it.
  static func vectorClamp(_ context: KernelContext) -> GEMM.Clamp? {
    // No-ops (a ResNet block's trailing `identity`) change nothing.
    let kinds = context.fusedFollowers.map { context.lowered.checked.layers[$0].kind }
      .filter { $0 != .identity && $0 != .dropout }
    switch kinds {
    case []: return GEMM.Clamp.none
    case [.relu]: return .relu
    case [.relu6]: return .relu6
    default: return nil
    }
  }

  /// Input bytes of the panels one weight block is run over before the next block: a chunk of
  /// panels that stays in L2, so each block's weights are read once per chunk rather than once
  /// per panel (1x1 layers with few pixels and many channels read megabytes of weights).
  /// Half the 1 MB L2 of the AMD EPYC VM: the block's outputs pass through L2 beside the
  /// chunk, and with 768 KB chunks layers of a large plane and small depth re-read their
  /// input from L3 for every block: NiN's 54² cccp1/cccp2 (96 → 96) 0.67/0.64 → 0.57/0.51 ms,
  /// ResNet-50 1T 74.7 → 73.9 ms (layer1 conv3 −0.35), DenseNet-121 1T 55.7 → 54.8
  /// (interleaved A/B).
  static let pointwiseChunkBytes = 384 * 1024

  /// Panels per chunk (`pointwiseChunkBytes` of input); at least one per planned thread where
  /// the threads split each chunk's panels (`threadsOwnPanels`): a one-panel chunk ran on one
  /// thread (ResNet-50's 14² x 1024 → 256 layers, 393 KB panels: 0.56 → 0.99 ms at 2T).
  static func chunkPanels(_ context: KernelContext) -> Int {
    let least = threadsOwnPanels(context) ? Threading.plannedThreads : 1
    return max(least, pointwiseChunkBytes / (4 * geometry(context).inPerGroup * panelWidth(context)))
  }

  /// `y[c][n] = bias[c] + sum_k w[c][k] x[k][n]`. Full panels of full blocks are stored by the
  /// micro-kernel straight into `y` (clamped there); the last, narrower panel runs a kernel
  /// of its own width (whole vectors) that overlaps the panel before it, and it, the last,
  /// partial block, or an epilogue the kernel cannot vectorize go through a staging buffer.
  static func emitPointwise(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let g = geometry(context)
    let k = g.inPerGroup
    let m = context.output.channels
    let n = context.output.height * context.output.width
    let rows = pointwiseRows(context)
    let width = panelWidth(context)
    let cut = GEMMPanels(m: m, k: k, n: n, rows: rows, width: width, weightOffset: context.weightOffset)
    let (blocks, biasOffset, full, tail, panels) = (cut.blocks, cut.biasOffset, cut.full, cut.tail, cut.panels)
    let scratchCut = pointwiseScratch(context)
    let clamp = vectorClamp(context)
    let lastRows = m - (blocks - 1) * rows
    // A fused residual is added before the clamp: the direct stores' kernel adds it itself,
    // the staged tiles' kernels leave both to the staged copy.
    let residual = context.residualInput
    let kernel = GEMM.microKernel(context, rows: rows, width: width, clamp: clamp ?? .none,
                                  residual: residual != nil)
    let stagedClamp = residual == nil ? clamp ?? .none : .none
    let stagedKernel = GEMM.microKernel(context, rows: rows, width: width, clamp: stagedClamp)
    let lastWidth = tailWidth(context, tail: tail)
    let channelTail = tailRunsOverChannels(context)
    let tailKernel = tail > 0 && !channelTail ? GEMM.microKernel(context, rows: rows, width: lastWidth, clamp: stagedClamp) : kernel
    emitPointwiseSource(context, g, scratchCut, &out)
    let packs = scratchCut.packed > 0
    // A full panel's first row and row stride.
    let fullPanel = packs ? "UnsafePointer(packedPanels + ((panel &- firstPanel) &* \(k * width)))" : "src + n"
    let fullStride = packs ? width : n
    // The last panel's first row, row stride and first stored column of its `lastWidth`.
    var tailPanel = (first: "src + \(n - lastWidth)", stride: n, skip: lastWidth - tail)
    if channelTail {
      out.line("// the last pixel, copied [\(k)] for the channel-vector kernel")
      out.block(forLoop("i", k)) { out in
        out.line("scratch[i] = src[i &* \(n) &+ \(full * width)]")
      }
    } else if scratchCut.tail > 0 {
      out.line("// the last \(tail) pixels, zero-filled to \(lastWidth)")
      out.block(forLoop("i", k)) { out in
        out.line("let row = scratch + (i &* \(lastWidth))")
        out.line("row.update(from: src + (i &* \(n) &+ \(full * width)), count: \(tail))")
        out.line("(row + \(tail)).update(repeating: 0, count: \(lastWidth - tail))")
      }
      tailPanel = (first: "UnsafePointer(scratch)", stride: lastWidth, skip: 0)
    } else if tail > 0 {
      out.line("// the last \(tail) pixels: a \(lastWidth)-wide panel that overlaps the one before")
    }
    let chunkPanels = Self.chunkPanels(context)
    let chunks = (panels + chunkPanels - 1) / chunkPanels
    let splitBlocks = blocks >= 2 && (packs || !threadsOwnPanels(context))
    let parallel = Threading.worthSplitting(work: macs(context), iterations: splitBlocks ? blocks : panels)
    out.line("// \(blocks) blocks of \(rows) channels x \(panels) panels of \(width) pixels, in \(chunks) chunk(s) of \(chunkPanels) panels")
    let direct = cut.directStore(clamped: clamp != nil, rows: rows, lastRows: lastRows)
    let staged = StagedStore(rows: rows, lastRows: lastRows, blocks: blocks, n: n,
                             clamped: clamp != nil && residual == nil, residual: residual)
    let body = { (panelRange: String, out: inout SwiftEmitter) in
      out.line("let a = UnsafePointer(weights + (\(context.weightOffset) &+ block &* \(k * rows)))")
      out.line("let bias = UnsafePointer(weights + (\(biasOffset) &+ block &* \(rows)))")
      out.block("for panel in \(panelRange)") { out in
        out.line("let n = panel &* \(width)")
        if direct != "false" {
          out.block(direct == "true" ? "do" : "if \(direct)") { out in
            let residualArgument = residual.map { ", \($0) + (block &* \(rows * n) &+ n)" } ?? ""
            out.line("Self.\(kernel)(a, \(fullPanel), bias, y + (block &* \(rows * n) &+ n), \(k), \(fullStride), \(n)\(residualArgument))")
          }
        }
        if direct != "true" {
          let stagedBlock = { (out: inout SwiftEmitter) in
            let wholePanel = { (out: inout SwiftEmitter) in
              out.line("Self.\(stagedKernel)(a, \(fullPanel), bias, stage, \(k), \(fullStride), \(width))")
              staged.emit(context, columns: width, stride: width, skip: 0, &out)
            }
            if tail > 0 {
              out.block("if panel == \(full)") { out in
                if channelTail {
                  let name = GEMM.channelKernel(context, rows: rows, clamp: stagedClamp)
                  out.line("Self.\(name)(a, UnsafePointer(scratch), bias, stage, \(k))")
                  staged.emit(context, columns: 1, stride: 1, skip: 0, &out)
                } else {
                  out.line("Self.\(tailKernel)(a, \(tailPanel.first), bias, stage, \(k), \(tailPanel.stride), \(lastWidth))")
                  staged.emit(context, columns: tail, stride: lastWidth, skip: tailPanel.skip, &out)
                }
              }
              if full > 0 { out.block("else", wholePanel) }
            } else {
              wholePanel(&out)
            }
          }
          if direct == "false" { stagedBlock(&out) } else { out.block("else", stagedBlock) }
        }
      }
    }
    // The staging buffer only when some tile goes through it (an unused one is a warning).
    let withStage = { (out: inout SwiftEmitter, loops: (inout SwiftEmitter) -> Void) in
      if direct == "true" {
        loops(&out)
      } else {
        Threading.emitPartBuffer(rows * width, context, &out) { out in
          out.line("let stage = buffer.baseAddress!")
          loops(&out)
        }
      }
    }
    if packs {
      // Chunk by chunk: the chunk's full panels are copied contiguous (threads split the copy),
      // then the threads' weight blocks run over them while they are in L2. (Packing the whole
      // input first spilled L2 on ResNet-50's layer1 conv1, 3.2 MB: 0.79 -> 1.2 ms.)
      let packSlots = min(chunkPanels, full)
      out.line("let packedPanels = scratch + \(scratchCut.tail + scratchCut.subsampled)")
      let packSlot = { (out: inout SwiftEmitter) in
        out.line("let panel = firstPanel &+ slot")
        out.block("if panel < packedEnd") { out in
          out.line("let to = packedPanels + (slot &* \(k * width))")
          out.block(forLoop("i", k)) { out in
            out.line("(to + (i &* \(width))).update(from: src + (i &* \(n) &+ panel &* \(width)), count: \(width))")
          }
        }
      }
      let ownPanels = parallel && threadsOwnPanels(context)
      out.block(forLoop("chunk", chunks)) { out in
        out.line("let firstPanel = chunk &* \(chunkPanels)")
        out.line("let endPanel = min(firstPanel &+ \(chunkPanels), \(panels))")
        out.line("let packedEnd = min(endPanel, \(full))")
        if ownPanels {
          out.line("// each thread packs its share of the chunk and runs every weight block over it")
          out.block("Self.parallelParts(endPanel &- firstPanel, threads: threads, pool: pool)") { out in
            out.line("part, first, end in")
            out.block("for slot in first..<end", packSlot)
            withStage(&out) { out in
              out.block(forLoop("block", blocks)) { out in body("(firstPanel &+ first)..<(firstPanel &+ end)", &out) }
            }
          }
          return
        }
        // A copied float costs about what 8 multiply-adds do (DenseNet's 1x1 layers packed
        // 0.7 MB per chunk on one thread while the other waited).
        Threading.emitLoop("slot", packSlots,
                           parallel: Threading.worthSplitting(work: 8 * k * width * packSlots, iterations: packSlots),
                           &out, packSlot)
        Threading.emitParts(blocks, parallel: parallel, &out) { out in
          withStage(&out) { out in
            out.block("for block in first..<end") { out in body("firstPanel..<endPanel", &out) }
          }
        }
      }
      return
    }
    Threading.emitParts(splitBlocks ? blocks : panels, parallel: parallel, &out) { out in
      withStage(&out) { out in
        if splitBlocks {
          let panelRange = chunks == 1 ? "0..<\(panels)"
            : "(chunk &* \(chunkPanels))..<min(chunk &* \(chunkPanels) &+ \(chunkPanels), \(panels))"
          let blockLoop = { (out: inout SwiftEmitter) in
            out.block("for block in first..<end") { out in body(panelRange, &out) }
          }
          if chunks > 1 { out.block(forLoop("chunk", chunks), blockLoop) } else { blockLoop(&out) }
        } else if chunkPanels >= panels {
          out.block(forLoop("block", blocks)) { out in body("first..<end", &out) }
        } else {
          // Each thread's panels a chunk at a time, every weight block over a chunk while it is in L2.
          out.block("for chunkFirst in stride(from: first, to: end, by: \(chunkPanels))") { out in
            out.line("let chunkEnd = min(chunkFirst &+ \(chunkPanels), end)")
            out.block(forLoop("block", blocks)) { out in body("chunkFirst..<chunkEnd", &out) }
          }
        }
      }
    }
  }

  /// `let src = x0`, or for a strided 1x1 the pixels its window reads, packed as `[k][n]`.
  private static func emitPointwiseSource(_ context: KernelContext, _ g: Geometry,
                                          _ scratchCut: (tail: Int, subsampled: Int, packed: Int),
                                          _ out: inout SwiftEmitter) {
    guard scratchCut.subsampled > 0 else {
      out.line("let src = x0")
      return
    }
    let (input, output) = (context.input, context.output)
    let (k, n) = (g.inPerGroup, output.height * output.width)
    out.line("// stride \(g.strideH)x\(g.strideW): the pixels the 1x1 window reads, packed as [\(k)][\(n)]")
    out.line("let subsampled = scratch + \(scratchCut.tail)")
    out.block(forLoop("c", k)) { out in
      out.block(forLoop("oy", output.height)) { out in
        out.line("let from = x0 + (c &* \(input.height * input.width) &+ oy &* \(g.strideH * input.width))")
        out.line("let to = subsampled + (c &* \(n) &+ oy &* \(output.width))")
        out.block(forLoop("ox", output.width)) { out in out.line("to[ox] = from[ox &* \(g.strideW)]") }
      }
    }
    out.line("let src = UnsafePointer(subsampled)")
  }
}

/// The copy of a staged tile (`stage`, rows `stride` floats apart) into the output, through the
/// layer's epilogue: the block's valid rows, `columns` pixels from stage column `skip` on, to
/// output pixel `n` (the panel's first) on.
struct StagedStore {
  let rows: Int
  let lastRows: Int
  let blocks: Int
  let n: Int
  /// The micro-kernel already applied the epilogue (a clamp): a plain copy.
  let clamped: Bool
  /// The parameter holding a fused residual, added to each value before the epilogue.
  let residual: String?

  func emit(_ context: KernelContext, columns: Int, stride: Int, skip: Int, _ out: inout SwiftEmitter) {
    out.line(lastRows == rows ? "let valid = \(rows)" : "let valid = block == \(blocks - 1) ? \(lastRows) : \(rows)")
    out.block("for r in 0..<valid") { out in
      out.line("let c = block &* \(rows) &+ r")
      out.line("let o = y + (c &* \(self.n) &+ n)")
      out.line("let s = stage + (r &* \(stride)\(skip > 0 ? " &+ \(skip)" : ""))")
      out.block("for p in 0..<\(columns)") { out in
        if clamped {
          out.line("o[p] = s[p]")
        } else {
          let value = residual.map { "s[p] + \($0)[c &* \(self.n) &+ n &+ p]" } ?? "s[p]"
          context.store(value, to: "o[p]", channel: "c").forEach { out.line($0) }
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

  /// Which tiles the micro-kernel stores straight into the output (when it applies the whole
  /// epilogue itself, `clamped`): "true", "false" (all go through the staging buffer), or the
  /// runtime condition on `panel` and `block` that picks whole panels of whole blocks.
  func directStore(clamped: Bool, rows: Int, lastRows: Int) -> String {
    guard clamped else { return "false" }
    let whole = [tail > 0 ? "panel != \(full)" : nil, lastRows != rows ? "block != \(blocks - 1)" : nil]
      .compactMap { $0 }
    return whole.isEmpty ? "true" : whole.joined(separator: " && ")
  }
}
