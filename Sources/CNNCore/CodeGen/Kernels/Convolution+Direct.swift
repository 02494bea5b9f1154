/// The direct convolution kernel (codegen-notes: 93–100 % of the FMA peak).
///
/// A register tile of `vectors` SIMD vectors of output channels (`vectors * lanes` channels, 2
/// vectors when the group has that many) x `pixels` consecutive output columns of one row. The
/// weights of a channel block are packed at load as `[ic][ky][kx][channels of the block]`, so the
/// kernel reads them with literal offsets; each input value is broadcast into the FMA. The tile
/// function (one per distinct geometry and width, shared by all steps) leaves the accumulators
/// in a small `[pixel][channel]` staging buffer; the step stores them through its epilogue.
extension Convolution {
  /// Output channels per register tile: two vectors when the group has at least that many,
  /// except for `streamsOneVector` layers.
  static func channelTile(_ context: KernelContext) -> Int {
    let g = geometry(context)
    if streamsOneVector(context) { return context.lanes }
    return g.outPerGroup >= 2 * context.lanes ? 2 * context.lanes : context.lanes
  }

  /// Whether a 1x1 layer on AVX-512 runs tiles of one vector of channels (up to 25 columns)
  /// rather than two (up to 12): where its weights are 2 MB or more (twice the 1 MB L2), so
  /// that each block's first tile streams them from DRAM, and the plane's row (7x7 is one row
  /// of 49) cuts into two-vector tiles narrower than 12 columns (five of 10 or 9 on 7x7). Such a first
  /// tile wants a weight line per 10 FMAs, about what one core reads from DRAM; a one-vector
  /// tile of 17 columns wants one per 17, and a block was three tiles (17, 17, 15), now two
  /// (25, 24: `tileWidths`), so that the rest of a block's weights come from L2 once, not twice
  /// (stop 29, interleaved, minima: MobileNetV1's 7² 1024 -> 1024 1.102 -> 1.045 ms at 1 thread,
  /// 0.562 -> 0.521 at 2; 512 -> 1024 0.557 -> 0.531 and 0.285 -> 0.264; ResNet-50's layer4
  /// 1x1 layers 0.05-0.07 ms less each at 1 thread). MobileNetV1's
  /// 7² 1024 -> 1024 took 0.93 ms alone in a loop (weights in L3) and 1.14 as one of eight in a
  /// row (from DRAM), 1.09 with these tiles; in the network (interleaved, 8 rounds, minima)
  /// 1.145 -> 1.097 ms, its 7² 512 -> 1024 0.587 -> 0.553, the forward 11.48 -> 11.32 at 1
  /// thread and 6.00 -> 5.80 at 2 (onnxruntime ~11.5 / 6.1 this hour). From 1 MB, the 1.3 MB
  /// layers of GoogLeNet's 5a/5b (0.01–0.03 ms less each) added 588 lines of tile and store
  /// functions, and the process overhead `MemoryTarget` plans for that code put its memory
  /// plan past the target (`MemoryPlanTests`); MobileNetV2's 1.6 MB 320 -> 1280 gained 0.027
  /// ms. NiN's 6x6 planes cut into three 12-column tiles and gained nothing (eight 1024 -> 1024
  /// layers in a row: 0.84 ms either way). Touching the next block's weights from the tiles instead (loads whose
  /// sums are discarded, `touch`) made the 7² layer 1.20 (two-vector) and 1.30 ms (one-vector):
  /// a load that misses blocks retirement, and Swift has no prefetch instruction.
  static func streamsOneVector(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    let plane = context.output.height * context.output.width
    guard !context.hasSixteenRegisters, context.layer.kind == .conv, g.kernelH == 1, g.kernelW == 1,
          g.strideH == 1, g.strideW == 1, !g.needsPadding, plane <= 49,
          g.outPerGroup >= 2 * context.lanes,
          g.groups * g.inPerGroup * g.outPerGroup * 4 >= 2 << 20 else { return false }
    let twoVectorColumns = context.accumulators / 2
    return evenColumns(plane, most: twoVectorColumns) < twoVectorColumns
  }

  /// Columns per tile when a row of `columns` is cut into the fewest tiles of at most `most`,
  /// evened out (`tileWidths`).
  static func evenColumns(_ columns: Int, most: Int) -> Int {
    let tiles = (columns + most - 1) / most
    return (columns + tiles - 1) / tiles
  }

  /// Whether a 1x1 layer runs on this kernel rather than the GEMM of `emitPointwise`: planes of
  /// at most 14x14 pixels, whose GEMM panels of 32 pixels leave lanes empty (7x7: 49 of 64),
  /// with at least 128 input channels (fewer, and storing each tile costs more than it saves:
  /// MobileNetV2's 14² 96 -> 576 expansions 0.21 -> 0.24 ms) and output channels in whole
  /// tiles of two vectors (SqueezeNet's 13² 384 -> 48 squeeze lost a quarter of a tile: 0.063 ->
  /// 0.075 ms), with at least 256 KB of weights, or 48 KB (`pointwiseDirectWeights`) where the
  /// blocks split evenly between `Threading.plannedThreads` threads, on AVX-512 (the target it
  /// was measured on). A fused residual is added by the transposed store, below 1 MB of weights
  /// (`residualWeightsBelow`) or on `streamsOneVector` tiles; ResNet-50's 14² 256 -> 1024 conv3
  /// (1 MB) measured 1.05 -> 1.08 ms each at 1 thread on these tiles and level at 2, so
  /// `emitPointwise` adds it there.
  ///
  /// Until stop 30 the floor was 256 KB and no residual below 2 MB ran here. Below 256 KB the
  /// GEMM's threads split the pixels, each reading what its own core wrote, where these split
  /// channel blocks, each reading every pixel: SqueezeNet 1.1's 13² 384 -> 64 squeeze (98 KB)
  /// costs more where the cores are on two dies (stop 21: 0.077 -> 0.118 ms; stop 30's placement
  /// profile: its two squeezes +0.043 ms far, -0.022 near, where 84 % of the samples ran). On
  /// the GEMM a 14² plane is two panels of 96 pixels and a 4-pixel tail on a 4-accumulator
  /// kernel. An odd number of blocks leaves one thread a block more than the other: MobileNetV2's
  /// 14² 576 -> 96 projections (3 blocks, 221 KB) went 0.119 -> 0.131 ms at 2 threads on these
  /// tiles (0.198 at 1 thread against the GEMM's 0.223), so they keep the GEMM. Stop 30,
  /// interleaved minima of the changed layers, 1 / 2 threads: MobileNetV2's 14² 192 -> 64 and
  /// 384 -> 64 projections and 7² 960 -> 160 ones 0.715 -> 0.648 / 0.437 -> 0.380 ms,
  /// GoogLeNet's four 14² branch-4 1x1 layers 0.549 -> 0.461 / 0.319 -> 0.245, DenseNet-121's
  /// block-3 conv1 (256-480 -> 128) 1.449 -> 1.352 / 0.853 -> 0.722, SqueezeNet 1.0's 13²
  /// squeeze 0.113 -> 0.102 / 0.091 -> 0.056 and 1.1's two 0.202 -> 0.189 / 0.131 -> 0.105;
  /// ResNet-18's 14² stride-2 downsample level (0.139 -> 0.146 / 0.079 -> 0.073).
  ///
  /// When the rule came in, interleaved profiles, 1 thread: MobileNetV1's 14² 512 -> 512
  /// layers 0.96 -> 0.92 ms (onnxruntime 0.92), its 7² 1024 -> 1024 1.20 -> 1.09; ResNet-50 76.0 -> 73.7 ms,
  /// NiN 21.46 -> 20.99, DenseNet-121 54.38 -> 54.10; 2 threads: MobileNetV1 6.44 -> 5.90,
  /// ResNet-50 48.2 -> 45.6, GoogLeNet 18.55 -> 17.45 (far placement).
  ///
  /// On planes of at most 7x7, where the GEMM's panels are emptiest, a partial last tile is
  /// taken too when it leaves at most 5 % of the channels' lanes empty: NiN's 6² 1024 -> 1000
  /// (31 tiles and one of 8 channels) 0.95 -> 0.80 ms at 1 thread, 0.50 -> 0.41 at 2
  /// (onnxruntime 0.72 at 1); not on 13² (SqueezeNet 1.1's 512 -> 1000 classifier 1.59 -> 1.62).
  static func pointwiseRunsDirect(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    let tile = 2 * context.lanes
    let plane = context.output.height * context.output.width
    let emptyLanes = (tile - g.outPerGroup % tile) % tile
    let weights = g.inPerGroup * g.outPerGroup
    let evenBlocks = emptyLanes == 0 && (g.outPerGroup / tile) % Threading.plannedThreads == 0
    return context.layer.kind == .conv && g.groups == 1 && g.kernelH == 1 && g.kernelW == 1
      && !g.needsPadding && context.lanes == 16
      && (context.step.residual == nil || weights < residualWeightsBelow || streamsOneVector(context))
      && plane <= 196 && g.inPerGroup >= 128
      && (emptyLanes == 0 || (plane <= 49 && emptyLanes * 20 <= g.outPerGroup))
      && weights >= (evenBlocks ? pointwiseDirectWeights : pointwiseDirectWeightsUneven)
  }

  /// The fewest weights (floats) of a 1x1 layer on the direct tiles, where its blocks split
  /// evenly: 48 KB (MobileNetV2's 14² 192 -> 64 projection, 0.051 -> 0.044 ms at 1 thread).
  static let pointwiseDirectWeights = 12_288

  /// The fewest weights (floats) of a 1x1 layer on the direct tiles whose blocks do not split
  /// evenly (or end in a partial tile): 256 KB.
  static let pointwiseDirectWeightsUneven = 65_536

  /// A 1x1 layer with a fused residual runs on the direct tiles only below 1 MB of weights
  /// (floats), or on `streamsOneVector` tiles.
  static let residualWeightsBelow = 262_144

  /// Output rows and columns the kernel walks: a 1x1 stride-1 layer's plane is one row (its
  /// input and output pixels are both contiguous), so 7x7 planes make tiles of 10 columns, not 7.
  static func directRows(_ context: KernelContext) -> (rows: Int, columns: Int) {
    let g = geometry(context)
    if g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && !g.needsPadding {
      return (1, context.output.height * context.output.width)
    }
    return (context.output.height, context.output.width)
  }

  /// How a row of output columns is cut into register tiles: `full` tiles of `width` columns
  /// and a `rest` tile of the remaining columns, which with `pairsRest` covers the same columns
  /// of two consecutive output rows at once (a tile of `2 x rest` pixels).
  struct TileWidths: Equatable {
    var width, full, rest: Int
    var pairsRest = false
  }

  /// The row's tiles: the fewest of at most `accumulators / vectors` columns, evened out. On a
  /// 16-register target (12 accumulators) a rest tile with fewer accumulators than
  /// `GEMM.latencyChains` waits on the FMA latency (a 3-column tile of 2 vectors: 6 chains,
  /// the time of 8); there it covers the same columns of two rows where that makes 8 to 12
  /// (a paired 1-column rest, 4 chains, measured no better). A 7-wide row was tiles of 4
  /// and 3 columns: ResNet-18's 7² 3x3 layers 3.33 → 3.10 ms (interleaved, 1 thread; the 3 x 2
  /// tile has 12 accumulators), NiN's 27-wide conv2 10.18 → 9.44, its 13-wide conv3 3.64 →
  /// 3.37. Cutting rows by a cycle count instead (e.g. 55 columns as 11 x 5 rather than 9 x 6
  /// and 1) lost: SqueezeNet 1.1's 55² expand3x3 layers 0.70 → 0.76 ms, and 14-wide rows as 6,
  /// 6 and a paired 2 rather than 5, 5, 4 lost 4 % (ResNet-18's layer3).
  static func tileWidths(_ context: KernelContext) -> TileWidths {
    let vectors = channelTile(context) / context.lanes
    // One-vector tiles that stream their weights (`streamsOneVector`) take one column more
    // than the accumulator budget: 25 accumulators, the weight vector and a broadcast fit
    // AVX-512's 32 registers, and 7x7's row of 49 makes two tiles (25, 24) instead of three.
    let maxWidth = streamsOneVector(context) ? context.accumulators + 1 : context.accumulators / vectors
    let (rows, outWidth) = directRows(context)
    let width = evenColumns(outWidth, most: maxWidth)
    var cut = TileWidths(width: width, full: outWidth / width, rest: outWidth % width)
    cut.pairsRest = context.hasSixteenRegisters && cut.rest > 0 && rows >= 2
      && vectors * cut.rest < GEMM.latencyChains
      && (GEMM.latencyChains...context.accumulators).contains(2 * vectors * cut.rest)
    return cut
  }

  /// Whether the threads of a direct layer split its output rows in two halves (each running
  /// every channel block over its half) rather than splitting the channel blocks: when the
  /// blocks are odd in number (DenseNet's 32-channel 3x3 layers are one block; split by
  /// blocks, a thread would sit idle), and when the packed weights are no larger than the
  /// input, so that each core reading all of them costs less than each reading every input
  /// row. The rows a thread reads are then (up to a one-row halo) the pixels it wrote in the
  /// layer before, where that layer split pixels too (the 1x1 GEMM's panels, im2col's, this
  /// split); its padded copy splits rows the same way (`emitPaddedPlanes`). Interleaved
  /// profiles, 2 threads: level where the cores are near, SqueezeNet 1.1's expand3x3 layers
  /// 0.503 -> 0.380 and 0.566 -> 0.483 ms where they are far (Benchmarks/README.md, stop 21).
  /// SqueezeNet 1.1's 55² expand3x3 layers (16 -> 64 channels, 37 KB
  /// of weights against a 194 KB input) were split as 2 blocks of 32 channels, each core
  /// reading the whole input, half of it from the other core's cache.
  static func directSplitsRows(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    let blocks = directBlocks(context)
    guard directRows(context).rows >= 2 else { return false }
    let weights = blocks * g.inPerGroup * g.kernelH * g.kernelW * channelTile(context)
    return blocks % 2 == 1 || weights <= context.input.elementCount ?? 0
  }

  /// Whether each thread copies the whole zero-padded input into its own work buffer (and then
  /// runs its channel blocks over that copy) instead of the threads sharing one copy that each
  /// wrote half of. Split by channel blocks, every block reads every input channel, and half of
  /// a shared copy sits in the other core's cache, where the tiles' demand loads (a line per
  /// channel, a plane apart) fetched it one miss at a time; a thread's own copy reads those
  /// channels as whole planes, prefetched, and the step has one parallel region instead of two.
  /// Where the copy is small (at most `perThreadCopyFloats`, beside a block's weights in L2)
  /// and cheap against the arithmetic (`perThreadCopyWork`). 2 threads, medians of samples
  /// classed by core placement (`placement_profile.py`, Benchmarks/README.md, stop 29):
  /// ResNet-101's eighteen 14² x 256 direct conv2 24.89 -> 24.52 ms with the cores on two dies
  /// (network 86.1 -> 85.4), level where they share an L3; SqueezeNet 1.1 far 6.64 -> 6.46, near
  /// 3.74 -> 3.72; GoogLeNet far 18.49 -> 18.16, near level; ResNet-50 and NiN level.
  static func directCopiesPerThread(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    guard g.needsPadding || directInterleavesRows(context), !directSplitsRows(context) else { return false }
    let padded = paddedInputFloats(context)
    return Threading.worthSplitting(work: macs(context), iterations: directBlocks(context))
      && padded <= perThreadCopyFloats && macs(context) >= perThreadCopyWork * padded
  }

  /// Channel blocks of a direct-tile layer over all its groups (`channelTile` channels each,
  /// the last of a group possibly partial).
  static func directBlocks(_ context: KernelContext) -> Int {
    let g = geometry(context)
    let tile = channelTile(context)
    return g.groups * ((g.outPerGroup + tile - 1) / tile)
  }

  /// The largest padded input each thread copies for itself (256 KB: a quarter of Zen 4's L2).
  static let perThreadCopyFloats = 65_536

  /// Multiply-adds per padded input float below which a per-thread copy is not made: the
  /// copy then costs each thread more than 3 % of its arithmetic (a copied float ~ 32 MACs).
  static let perThreadCopyWork = 1_024

  /// Whether the input is copied as channel-interleaved rows (`[group][paddedRow][ic][paddedW]`,
  /// `emitPaddedPlanes`) for the tap-major tile loops of a 16-register target
  /// (`emitTapMajorLoops`): each tap's loop walks the input channels, and on C,H,W planes every
  /// step of it is a new page (NiN's conv2: 96 channels of 3.8 KB planes, 90 pages per tap
  /// against the 64 entries of Zen 3's L1 TLB); interleaved, a step is one padded row (124
  /// bytes there). A microbenchmark of conv2's 2 x 6 tile on the Zen 3 VM: 57 GFLOP/s on the
  /// planes, 82 interleaved (peak 96). Not where a 1x1 layer's plane is one row
  /// (`directRows`).
  static func directInterleavesRows(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    let flat = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && !g.needsPadding
    return context.hasSixteenRegisters && !flat
  }

  /// Window taps of a direct-tile layer whose packed weights are tap-major, `[tap][ic][tile]`
  /// (`emitTapMajorLoops`: each tap's loop over the input channels then reads one contiguous
  /// run, not a cache line every `taps * tile` floats); 1 where they keep PyTorch's
  /// `[ic][tap]` order.
  static func tapMajorTaps(_ context: KernelContext) -> Int {
    guard context.hasSixteenRegisters, kernel(context) == .directTiles else { return 1 }
    let g = geometry(context)
    return g.kernelH * g.kernelW
  }

  /// Floats between a channel's consecutive padded rows in the tile's input, and between the
  /// first rows of consecutive channels.
  static func directStrides(_ context: KernelContext, _ g: Geometry) -> (row: Int, channel: Int) {
    directInterleavesRows(context) ? (g.inPerGroup * g.paddedW, g.paddedW) : (g.paddedW, g.paddedH * g.paddedW)
  }

  static func emitDirect(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let output = context.output
    let tile = channelTile(context)
    let blocks = (g.outPerGroup + tile - 1) / tile
    let inner = g.inPerGroup * g.kernelH * g.kernelW
    let biasOffset = context.weightOffset + g.groups * blocks * inner * tile
    let lastValid = g.outPerGroup - (blocks - 1) * tile
    let cut = tileWidths(context)
    let (width, full, rest) = (cut.width, cut.full, cut.rest)
    // Layers whose packed weights exceed L2 read each block's weights from L3/DRAM on its first
    // tile call and from L2 on the others; each call also touches `touch` cache lines per input
    // channel of the next block, so that stream overlaps the arithmetic of every call.
    let (rows, rowLength) = directRows(context)
    let calls = rows * (full + (rest > 0 ? 1 : 0))
    let blockFloats = inner * tile
    let largeWeights = g.groups * blocks * blockFloats * 4 > 2 * 1024 * 1024 && calls > 1
    let touch = largeWeights ? blockFloats / calls / g.inPerGroup / 16 : 0
    let wide = tileFunction(context, g, width: width, touch: touch)
    let narrow = rest > 0 ? tileFunction(context, g, width: rest, rows: cut.pairsRest ? 2 : 1, touch: touch) : ""
    let single = cut.pairsRest ? tileFunction(context, g, width: rest, touch: touch) : narrow
    let callTouch = touch * 16 * g.inPerGroup
    let plane = output.height * output.width
    let rowSplit = directSplitsRows(context) ? 2 : 1
    let strides = directStrides(context, g)
    let items = g.groups * blocks * rowSplit
    let parallel = Threading.worthSplitting(work: macs(context), iterations: items)
    // With two threads splitting rows, each part runs one half of the rows (`half`, known at
    // run time) through its block; otherwise a part runs every row.
    let splitsHalves = rowSplit > 1 && parallel
    let rowRange = splitsHalves
      ? (first: "half &* \(rows) / 2", end: "(half &+ 1) &* \(rows) / 2") : (first: "0", end: "\(rows)")
    let rowLoop = splitsHalves ? "for oy in (\(rowRange.first))..<(\(rowRange.end))" : forLoop("oy", rows)
    /// Output row `oy + dy`.
    func outputRow(_ dy: Int) -> String { dy == 0 ? "oy" : "(oy &+ \(dy))" }
    let stageFloats = max(width, cut.pairsRest ? 2 * rest : 0) * tile
    let copiesPerThread = directCopiesPerThread(context)
    /// One channel block's tiles (`block` in scope), staged through `stage` when `staged` (in
    /// scope), else through a part buffer of its own.
    func blockBody(staged: Bool, _ out: inout SwiftEmitter) {
      if splitsHalves {
        // Half-major: with two threads each takes one half of the rows through every block.
        out.line("let half = item / \(g.groups * blocks)")
        out.line("let block = item % \(g.groups * blocks)")
      }
      out.line("let group = block / \(blocks)")
      out.line("let firstChannel = group &* \(g.outPerGroup) &+ (block % \(blocks)) &* \(tile)")
      out.line("let valid = block % \(blocks) == \(blocks - 1) ? \(lastValid) : \(tile)")
      out.line("let packed = UnsafePointer(weights + (\(context.weightOffset) &+ block &* \(inner * tile)))")
      out.line("let bias = UnsafePointer(weights + (\(biasOffset) &+ block &* \(tile)))")
      if touch > 0 {
        out.line("let next = block == \(g.groups * blocks - 1) ? packed : packed + \(blockFloats)")
      }
      out.line("let groupInput = src + (group &* \(g.inPerGroup * g.paddedH * g.paddedW))")
      func tiles(_ out: inout SwiftEmitter) {
        // Stores `columns` staged pixels (from stage pixel `from` on) to output row `oy + dy`.
        func store(_ columns: Int, from: Int = 0, dy: Int = 0, _ out: inout SwiftEmitter) {
          let clamp = vectorClamp(context)
          let residual = context.residualInput
          let name = transposedStore(context, width: columns, clamp: clamp ?? .none, residual: residual != nil)
          let stage = from == 0 ? "UnsafePointer(stage)" : "UnsafePointer(stage + \(from * tile))"
          let row = outputRow(dy)
          let offset = "firstChannel &* \(plane) &+ \(row) &* \(rowLength) &+ ox"
          let residualArgument = residual.map { ", \($0) + (\(offset))" } ?? ""
          out.line("Self.\(name)(\(stage), y + (\(offset)), \(plane), valid\(residualArgument))")
          guard clamp == nil else { return }
          // Other followers (tanh, leaky relu, …) over each channel's stored columns:
          // contiguous now, so the loop vectorizes (LeNet-5's conv2 + tanh: see
          // `transposedStore`).
          out.block("for lane in 0..<valid") { out in
            out.line("let c = firstChannel &+ lane")
            out.line("let o = y + (c &* \(plane) &+ \(row) &* \(rowLength) &+ ox)")
            out.block(forLoop("p", columns)) { out in
              context.store("o[p]", to: "o[p]", channel: "c").forEach { out.line($0) }
            }
          }
        }
        func fullTiles(dy: Int, _ out: inout SwiftEmitter) {
          guard full > 0 else { return }
          let y = outputRow(dy)
          out.block(forLoop("t", full)) { out in
            out.line("let ox = t &* \(width)")
            let nextArgument = touch > 0 ? ", next + (\(y) &* \(full + (rest > 0 ? 1 : 0)) &+ t) &* \(callTouch)" : ""
            let input = dy == 0 ? "row" : "(row + \(dy * g.strideH * strides.row))"
            out.line("Self.\(wide)(\(input) + (ox &* \(g.strideW)), \(g.inPerGroup), \(strides.channel), packed, bias, stage\(nextArgument))")
            store(width, dy: dy, &out)
          }
        }
        func restTile(_ function: String, rows tileRows: Int, _ out: inout SwiftEmitter) {
          guard rest > 0 else { return }
          out.block("do") { out in
            out.line("let ox = \(full * width)")
            let nextArgument = touch > 0 ? ", next + (oy &* \(full + 1) &+ \(full)) &* \(callTouch)" : ""
            out.line("Self.\(function)(row + (ox &* \(g.strideW)), \(g.inPerGroup), \(strides.channel), packed, bias, stage\(nextArgument))")
            for dy in 0..<tileRows { store(rest, from: dy * rest, dy: dy, &out) }
          }
        }
        let rowPointer = "let row = groupInput + (oy &* \(g.strideH * strides.row))"
        guard cut.pairsRest else {
          out.block(rowLoop) { out in
            out.line(rowPointer)
            fullTiles(dy: 0, &out)
            restTile(narrow, rows: 1, &out)
          }
          return
        }
        // Two rows at a time: each row's full tiles, then one rest tile over both rows; a
        // last odd row alone.
        if splitsHalves {
          out.line("let firstRow = \(rowRange.first), endRow = \(rowRange.end)")
        }
        let (firstRow, endRow) = splitsHalves ? ("firstRow", "endRow") : rowRange
        out.block("for oy in stride(from: \(firstRow), to: \(endRow) &- 1, by: 2)") { out in
          out.line(rowPointer)
          fullTiles(dy: 0, &out)
          fullTiles(dy: 1, &out)
          restTile(narrow, rows: 2, &out)
        }
        let odd = splitsHalves ? "(endRow &- firstRow) & 1 != 0" : (rows % 2 == 1 ? "true" : nil)
        if let odd {
          out.block(odd == "true" ? "do" : "if \(odd)") { out in
            out.line("let oy = \(endRow) &- 1")
            out.line(rowPointer)
            fullTiles(dy: 0, &out)
            restTile(single, rows: 1, &out)
          }
        }
      }
      if staged {
        tiles(&out)
      } else {
        Threading.emitPartBuffer(stageFloats, context, &out) { out in
          out.line("let stage = buffer.baseAddress!")
          tiles(&out)
        }
      }
    }
    guard copiesPerThread else {
      Threading.emitPartLoop(splitsHalves ? "item" : "block", parallel ? items : g.groups * blocks,
                             parallel: parallel, &out) { out in blockBody(staged: false, &out) }
      return
    }
    // Each part copies the padded input into its own buffer, then runs its blocks over it.
    let copyFloats = Threading.cacheLines(paddedInputFloats(context))
    Threading.emitParts(items, parallel: parallel, &out) { out in
      Threading.emitPartBuffer(copyFloats + stageFloats, context, &out) { out in
        out.line("let copy = buffer.baseAddress!")
        emitPaddedCopy(context.input, g, interleaved: directInterleavesRows(context), into: "copy", serial: true, &out)
        out.line("let stage = copy + \(copyFloats)")
        out.block("for block in first..<end") { out in blockBody(staged: true, &out) }
      }
    }
  }

  /// The shared tile function for this geometry and `width` output columns; its name.
  static func tileFunction(_ context: KernelContext, _ g: Geometry, width: Int, rows: Int = 1,
                           touch: Int) -> String {
    let tile = channelTile(context)
    let lanes = context.lanes
    let vectors = tile / lanes
    let vector = context.vectorType
    let key = "direct k\(g.kernelH)x\(g.kernelW) s\(g.strideW) d\(g.dilationH)x\(g.dilationW)"
      + " row\(directStrides(context, g).row) tile\(tile)x\(width)\(rows > 1 ? "x\(rows) rows" : "") lanes\(lanes) fma\(context.fma)"
      + (touch > 0 ? " touch\(touch)" : "")
      + (tapChunk(context, g).map { " chunk\($0)" } ?? "")
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      let pixels = rows * width
      out.line("/// Direct convolution tile: \(tile) channels x \(width) columns\(rows > 1 ? " of \(rows) rows" : ""); \(key).")
      out.line("/// `x`: input at the tile's first window (`channels` planes `plane` floats apart), `w`:")
      let order = context.hasSixteenRegisters ? "[ky][kx][ic]" : "[ic][ky][kx]"
      out.line("/// `\(order)[\(tile)]`, `stage`: `[column][channel]`.")
      out.block("@inline(never) private static func \(name)(_ x: UnsafePointer<Float>, _ channels: Int, _ plane: Int, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ stage: UnsafeMutablePointer<Float>\(touch > 0 ? ", _ next: UnsafePointer<Float>" : ""))") { out in
        for v in 0..<vectors {
          out.line("let b\(v) = UnsafeRawPointer(bias + \(v * lanes)).loadUnaligned(as: \(vector).self)")
          for p in 0..<pixels { out.line("var a\(v)_\(p) = b\(v)") }
        }
        if touch > 0 {
          out.line("var ni = next")
          out.line("var sink = SIMD4<Float>()")
        }
        if context.hasSixteenRegisters {
          // (The input is interleaved for these loops: `directInterleavesRows`.)
          emitTapMajorLoops(context, g, width: width, rows: rows, touch: touch, &out)
        } else {
          emitChannelMajorLoops(context, g, width: width, touch: touch, &out)
        }
        for p in 0..<pixels {
          for v in 0..<vectors {
            out.line("UnsafeMutableRawPointer(stage + \(p * tile + v * lanes)).storeBytes(of: a\(v)_\(p), as: \(vector).self)")
          }
        }
        if touch > 0 {
          out.line("if sink.sum().bitPattern == 0x7FC0_1234 { stage[0] += 0 }")
        }
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text
    }
    return context.helpers?.function(key, body) ?? "missingHelpers"
  }

  /// The tile's loops with the input channels outermost: every window tap of a channel in one
  /// loop body (unrolled while the body stays small, pitfall 3, else a loop over window rows).
  /// With 32 vector registers (AVX-512) this reaches 93-100 % of the peak: the broadcast input
  /// is a memory operand of each FMA.
  private static func emitChannelMajorLoops(_ context: KernelContext, _ g: Geometry, width: Int,
                                            touch: Int, _ out: inout SwiftEmitter) {
    let tile = channelTile(context)
    let lanes = context.lanes
    let vectors = tile / lanes
    let vector = context.vectorType
    out.line("var xi = x")
    out.line("var wi = w")
    // Unroll the window when the body stays small (pitfall 3), else loop over rows.
    let perTap = vectors * (width + 1)
    let unrollRows = perTap * g.kernelH * g.kernelW <= 240
    out.block("for _ in 0..<channels") { out in
      func tap(_ ky: String, _ kyLiteral: Int?, _ kx: Int, _ out: inout SwiftEmitter) {
        let weightBase = kyLiteral.map { ($0 * g.kernelW + kx) * tile }
        for v in 0..<vectors {
          if let base = weightBase {
            out.line("let w\(v) = UnsafeRawPointer(wi + \(base + v * lanes)).loadUnaligned(as: \(vector).self)")
          } else {
            out.line("let w\(v) = UnsafeRawPointer(wr + \(kx * tile + v * lanes)).loadUnaligned(as: \(vector).self)")
          }
        }
        for p in 0..<width {
          let column = p * g.strideW + kx * g.dilationW
          let source: String
          if let ky = kyLiteral {
            source = "xi[\(ky * g.dilationH * g.paddedW + column)]"
          } else {
            source = "xr[\(column)]"
          }
          out.line("let x\(p) = \(source)")
          for v in 0..<vectors {
            out.line("a\(v)_\(p) = \(context.multiplyAdd("a\(v)_\(p)", "w\(v)", "x\(p)"))")
          }
        }
        _ = ky
      }
      if unrollRows {
        for ky in 0..<g.kernelH {
          for kx in 0..<g.kernelW {
            out.block("do") { out in tap("", ky, kx, &out) }
          }
        }
      } else {
        out.block(forLoop("ky", g.kernelH)) { out in
          out.line("let xr = xi + (ky &* \(g.dilationH * g.paddedW))")
          out.line("let wr = wi + (ky &* \(g.kernelW * tile))")
          for kx in 0..<g.kernelW {
            out.block("do") { out in tap("ky", nil, kx, &out) }
          }
        }
      }
      out.line("xi += plane")
      emitTouch(touch, &out)
      out.line("wi += \(g.kernelH * g.kernelW * tile)")
    }
  }

  /// Input channels per pass of the tap-major loops (`emitTapMajorLoops`), or nil for one
  /// pass over all of them: where one padded row of every input channel spans more than half
  /// of Zen 3's 32 KB L1 and a channel's row more than a cache line, the window's taps (which
  /// read each row `kernelW` times) run over chunks of at most `tapChunkBytes` of it. Read
  /// whole, every tap streamed those rows from L2 beside its weights: ResNet-50's stride-2
  /// layer3.0.conv2 (256 channels of 30 floats a row) ran at 73 GFLOP/s where its stride-1 14²
  /// layers (16 floats a channel) ran at 93. Interleaved, 1 thread, each layer alone: 28² x 256
  /// s2 3.46 -> 3.19 ms (min of 10), 56² x 128 s2 3.29 -> 3.13; with rows of one line (14² x
  /// 512 s2, 7² x 512) chunks lost 7-9 %.
  static func tapChunk(_ context: KernelContext, _ g: Geometry) -> Int? {
    let channelBytes = g.paddedW * 4
    guard context.hasSixteenRegisters, channelBytes > 64, g.inPerGroup * channelBytes > 16 * 1024 else { return nil }
    let chunks = (g.inPerGroup * channelBytes + tapChunkBytes - 1) / tapChunkBytes
    return (g.inPerGroup + chunks - 1) / chunks
  }

  /// Bytes of one padded row of the input channels in a chunk (`tapChunk`).
  static let tapChunkBytes = 12 * 1024

  /// The tile's loops with the window taps outermost (literal, or a loop over window rows for
  /// windows above 5x5) and a loop over the input channels inside each: one tap per loop body.
  /// With AVX2's 16 registers, a body holding every tap of a channel spilled: LLVM loads each
  /// input value once for all the taps that read it and keeps the broadcasts live across them
  /// (NiN's 5x5 conv2 at 30 GFLOP/s, a third of the peak, with 2 x 6 tiles). Here a body's loads
  /// are its own (the input pointer moves to the next channel each time), so 12 accumulators, 2 weight
  /// vectors and a broadcast fit. The weights are packed tap-major (`tapMajorTaps`:
  /// `[ky][kx][ic][tile]`), so each tap's loop reads its weights as one contiguous run.
  /// `touch` loads go in the first tap's loop.
  private static func emitTapMajorLoops(_ context: KernelContext, _ g: Geometry, width: Int,
                                        rows: Int, touch: Int, _ out: inout SwiftEmitter) {
    let tile = channelTile(context)
    let lanes = context.lanes
    let vectors = tile / lanes
    let vector = context.vectorType
    let taps = g.kernelH * g.kernelW
    let rowStride = directStrides(context, g).row
    let chunk = tapChunk(context, g)
    // Per chunk of input channels (`tapChunk`): its first channel's input and weights, and its
    // channel count.
    let (xBase, wBase, count) = chunk == nil ? ("x", "w", "channels") : ("xc", "wc", "count")
    func tapLoop(row: String, rowLiteral: Int?, kx: Int, first: Bool, _ out: inout SwiftEmitter) {
      out.block("do") { out in
        let column = kx * g.dilationW
        if let ky = rowLiteral {
          out.line("var xi = \(xBase) + \(ky * g.dilationH * rowStride + column)")
          out.line("var wi = \(wBase) + channels &* \((ky * g.kernelW + kx) * tile)")
        } else {
          out.line("var xi = \(xBase) + (\(row) &* \(g.dilationH * rowStride) &+ \(column))")
          out.line("var wi = \(wBase) + channels &* (\(row) &* \(g.kernelW * tile) &+ \(kx * tile))")
        }
        out.block("for _ in 0..<\(count)") { out in
          for v in 0..<vectors {
            out.line("let w\(v) = UnsafeRawPointer(wi + \(v * lanes)).loadUnaligned(as: \(vector).self)")
          }
          for r in 0..<rows {
            for column in 0..<width {
              let p = r * width + column
              out.line("let x\(p) = xi[\(r * g.strideH * rowStride + column * g.strideW)]")
              for v in 0..<vectors {
                out.line("a\(v)_\(p) = \(context.multiplyAdd("a\(v)_\(p)", "w\(v)", "x\(p)"))")
              }
            }
          }
          out.line("xi += plane")
          out.line("wi += \(tile)")
          if first { emitTouch(touch, &out) }
        }
      }
    }
    func window(_ out: inout SwiftEmitter) {
      if taps <= 25 {
        for ky in 0..<g.kernelH {
          for kx in 0..<g.kernelW {
            tapLoop(row: "", rowLiteral: ky, kx: kx, first: ky == 0 && kx == 0, &out)
          }
        }
      } else {
        out.block(forLoop("ky", g.kernelH)) { out in
          for kx in 0..<g.kernelW {
            tapLoop(row: "ky", rowLiteral: nil, kx: kx, first: false, &out)
          }
        }
      }
    }
    if let chunk {
      out.block("for chunkStart in stride(from: 0, to: channels, by: \(chunk))") { out in
        out.line("let count = min(\(chunk), channels &- chunkStart)")
        out.line("let xc = x + chunkStart &* plane")
        out.line("let wc = w + chunkStart &* \(tile)")
        window(&out)
      }
    } else {
      window(&out)
    }
    if taps > 25 && touch > 0 {
      // The touches of a window too large to unroll: one pass over the next block's lines.
      out.block("for _ in 0..<channels") { out in emitTouch(touch, &out) }
    }
  }

  /// One load per cache line of the next block's share for one input channel (`touch` lines,
  /// `ni` advancing past them); their sum only keeps the loads alive.
  private static func emitTouch(_ touch: Int, _ out: inout SwiftEmitter) {
    guard touch > 0 else { return }
    out.line("sink += SIMD4<Float>(\((0..<4).map { $0 < touch ? "ni[\($0 * 16)]" : "0" }.joined(separator: ", ")))")
    if touch > 4 {
      out.block("for line in 4..<\(touch)") { out in out.line("sink[0] += ni[line &* 16]") }
    }
    out.line("ni += \(touch * 16)")
  }
}
