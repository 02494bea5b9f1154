/// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs ("tile") of
/// one channel costs 16 multiply-adds per input channel instead of 36, 2.25x fewer.
///
/// With `d` the tile's 4x4 input patch, `g` a 3x3 filter and `⊙` the element-wise product,
/// `Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A`. The filter transform `U = G g Gᵀ` is done once at load
/// (`packWinograd`, in Double), as `[block of output channels][ξ][ic][rows]` panels for
/// the 16 points ξ of the 4x4 transform domain. For each block of tile rows the step
///
/// 1. transforms the input: `V[ξ][ic][tile] = Bᵀ d B`, SIMD over consecutive tiles of a tile row
///    (the patch columns `2t…2t+3` are picked from two vectors with literal lanes: one two-source
///    permute each), all channels, into `scratch` (sized by `winogradBlockRows`);
/// 2. for each block of output channels (threads split these), runs the SGEMM micro-kernel of
///    `GEMM.swift` once per ξ and panel of tiles: `M[ξ][channel][tile] = Σ_ic U V`, and
/// 3. transforms back channel by channel, SIMD over the tiles of a tile row again: `Y = Aᵀ M A`
///    plus the bias, clamped in registers, the two output columns of each tile interleaved by
///    literal-lane permutes and stored as whole vectors into the two output rows. (Stored lane
///    by lane from a `[tile][channel]` layout, the outputs cost more than the products for the
///    64-channel layers of VGG: 224² x 64 ran 38 ms against 40 ms for the direct kernel.)
///
/// Used for one-group 3x3 stride-1 undilated convolutions with at least 32 input channels (the
/// output transform is shared by the input channels) and 64 output channels (the input
/// transform by the output channels: DenseNet's 128 → 32 layers ran 1.69 ms against 1.63 on the
/// direct kernel), on outputs at least 7 wide with at least one vector of 2x2 tiles, within a memory
/// budget (`winogradLayers`). Accuracy: the transforms only add, subtract and halve, so results
/// stay within a few ulps of the direct sum (checked against PyTorch at 1e-4).
extension Convolution {
  /// The cut of one Winograd step.
  struct WinogradPlan {
    /// Tiles down and across the output (`ceil(H / 2)`, `ceil(W / 2)`).
    var tilesHigh, tilesWide: Int
    /// The zero-padded input copy: every tile's 4x4 patch lies inside it.
    var paddedH, paddedW: Int
    var needsPadding: Bool
    /// Tile rows per block. A divisor of `tilesHigh`, except where blocks of tile rows are
    /// balanced for two threads (`balancedBlockRows`): then the last block starts early,
    /// overlapping the one before by `lastOverlap` tile rows it does not write again.
    var blockRows: Int
    var inputChannels: Int
    /// Output channels per micro-kernel call (its rows) and the number of such blocks.
    var channelRows, channelBlocks: Int
    /// Tiles per micro-kernel call: two vectors, or one when the block has fewer tiles.
    var panelWidth: Int
    /// Lanes of the input transform's vectors of tiles.
    var transformLanes: Int

    var blockTiles: Int { blockRows * tilesWide }
    var blocks: Int { (tilesHigh + blockRows - 1) / blockRows }
    /// Tile rows the last block shares with the one before (0 when `blockRows` divides `tilesHigh`).
    var lastOverlap: Int { blocks * blockRows - tilesHigh }
    /// The first tile row of block `rowBlock` (an expression).
    var firstTileRow: String {
      lastOverlap == 0 ? "rowBlock &* \(blockRows)" : "min(rowBlock &* \(blockRows), \(tilesHigh - blockRows))"
    }
    var paddedCount: Int { needsPadding ? inputChannels * paddedH * paddedW : 0 }
    /// Floats of the transformed input of one block: `[16][ic][tile]`.
    var transformedCount: Int { 16 * inputChannels * blockTiles }
    /// Floats of the products `M` of one block of output channels: `[16][rows][tile]`.
    var productsCount: Int { 16 * blockTiles * channelRows }
    /// Whether each thread keeps its products in its work buffer, `productGroup` blocks of output
    /// channels at a time: when the transformed input fits L2, so that the groups' re-reads
    /// of it come from there. Otherwise (VGG's 28² x 512 layers: 6.4 MB) every block of a
    /// thread's range runs in one pass over it and the products of all blocks live in scratch
    /// (grouped, those layers ran 1.5x slower: 16.4 -> 26.7 ms).
    var productsPerThread: Bool { 4 * transformedCount <= winogradL2Bytes }
    /// Bytes of products a thread may hold in its work buffer (`winogradProductsBytes`, or
    /// `winogradLeanProductsBytes` for lean work memory).
    var productsBytes: Int
    /// Blocks of output channels whose products a thread holds at once: as many as
    /// `productsBytes` take (at least one) in the work buffer, else all of them.
    var productGroup: Int {
      productsPerThread ? max(1, min(channelBlocks, productsBytes / (4 * productsCount))) : channelBlocks
    }
    /// Floats of scratch for the products (none when they are in the threads' work buffers).
    var scratchProductsCount: Int { productsPerThread ? 0 : channelBlocks * productsCount }
    /// Bytes of transformed filters (`[block][ξ][ic][rows]`).
    var filterBytes: Int { 4 * channelBlocks * 16 * inputChannels * channelRows }
    /// Whether threads split the blocks of tile rows rather than the output channels, each
    /// thread copying its rows' padding, transforming them and running every channel block over
    /// them in its own work buffer (`emitWinogradOwnedRows`): when there are several blocks, the
    /// products fit the work buffer and the filters are small enough for every core to read them
    /// all (`winogradOwnedFilterBytes`). Split by channels, every block cost two hand-offs and
    /// each core read half of the transformed input from the other core's L2, and the padded
    /// copy and the 1x1 layers around (which split pixels, `threadsOwnPanels`) crossed cores
    /// again.
    var ownsTileRows: Bool {
      blocks >= 2 && productsPerThread && filterBytes <= winogradOwnedFilterBytes && needsPadding
    }
    /// Padded input rows a block of tile rows reads (`2 * blockRows + 2`).
    var windowRows: Int { 2 * blockRows + 2 }
    /// Whether an `ownsTileRows` step copies each block's padded rows into a window per input
    /// channel (blocks of at least 4 tile rows, where the window re-copies at most a quarter of
    /// the rows) rather than padding the whole input first, each thread its blocks' rows. With
    /// windows of 6 rows for 4 new ones, VGG-16's 224² x 64 layer ran 19.9 -> 21.9 ms on one
    /// thread (short per-channel reads of a 12.8 MB input).
    var copiesWindows: Bool { blockRows >= 4 }
  }

  /// Bytes of transformed filters up to which threads split a layer's tile rows (each reading
  /// all filters): 1.5 MB, which takes ResNet's 28² x 128 layers (1.08 MB with their 12 blocks of
  /// 11 channels; at 2 threads 0.77 -> 0.64 ms, 1 MB left them out) and 64-channel ones (0.26 MB).
  static let winogradOwnedFilterBytes = 3 << 19

  /// Bytes of transformed input per block that stay in L2 (2 MB here) next to the filters
  /// streaming through.
  static let winogradL2Bytes = 1024 * 1024

  /// Bytes of products `M` a thread keeps before the output transform consumes them: a work
  /// buffer per thread instead of every block's products in the arena's scratch (GoogLeNet's
  /// conv3 held 2.4 MB of them, SqueezeNet's expand3x3 layers 1.6 MB: more than 10 % of
  /// those networks' weights and activations).
  static let winogradProductsBytes = 512 * 1024

  /// Work memory of a thread in a network whose speed-first plan misses the memory target
  /// (`KernelContext.leanWork`, `ClassEmitter`): products of one block of output channels at a
  /// time (up to 128 KB) and blocks of tile rows whose transformed input stays within 512 KB
  /// where the plane has such blocks. GoogLeNet's conv3 (28² tiles, 64 -> 192) then holds 0.55
  /// MB per thread instead of 1.26 (blocks of 4 tile rows instead of 7, one group of products
  /// instead of three) and runs 3.49 -> 3.61 ms at 1 thread; the network's work memory at 2
  /// threads went from 2.5 MB beside the arena to 0.4 MB, the rest fitting the arena's gaps.
  static let winogradLeanProductsBytes = 128 * 1024
  static let winogradLeanTransformedBytes = 512 * 1024

  /// Tile rows per block: the divisor of `tilesHigh` with the least estimated memory traffic.
  /// Every block reads all transformed filters once (`filterBytes`), and every block of output
  /// channels reads the block's transformed input once — from L2 when a block fits
  /// `winogradL2Bytes` (counted at a quarter), else from L3. Big planes with few channels (VGG's
  /// 224² and 112² layers) get blocks of a tile row or two; small planes with many channels (14²
  /// x 512: 16 MB of filters) one block, which reads the filters only once.
  /// Blocks hold at least `minimumTiles` tiles (one two-vector panel) when the plane has them.
  /// With `lean`, the same choice among the divisors whose transformed input fits
  /// `winogradLeanTransformedBytes`, if any does.
  static func winogradBlockRows(tilesHigh: Int, tilesWide: Int, minimumTiles: Int, rowBytes: Int,
                                filterBytes: Int, channelBlocks: Int, lean: Bool = false) -> Int {
    func traffic(_ rows: Int) -> Double {
      let blocks = Double(tilesHigh / rows)
      let transformed = Double(tilesHigh * rowBytes) * Double(channelBlocks)
      return blocks * Double(filterBytes) + transformed * (rows * rowBytes <= winogradL2Bytes ? 0.25 : 1)
    }
    let divisors = (1...tilesHigh).filter {
      tilesHigh % $0 == 0 && ($0 * tilesWide >= minimumTiles || $0 == tilesHigh)
    }
    let small = divisors.filter { $0 * rowBytes <= winogradLeanTransformedBytes }
    return ((lean && !small.isEmpty) ? small : divisors).min { traffic($0) < traffic($1) } ?? 1
  }

  /// Whether this step runs on the Winograd kernel: it qualifies (`qualifiesForWinograd`) and
  /// is one of the network's `winogradLayers`.
  static func usesWinograd(_ context: KernelContext) -> Bool {
    qualifiesForWinograd(context)
      && winogradLayers(context.lowered, lanes: context.lanes).contains(context.layerIndex)
  }

  static func qualifiesForWinograd(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    return context.layer.kind == .conv && g.groups == 1 && g.kernelH == 3 && g.kernelW == 3
      && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
      && g.inPerGroup >= 32 && g.outPerGroup >= 64
      && context.output.width >= 7
      && (context.output.height + 1) / 2 * ((context.output.width + 1) / 2) >= context.lanes
  }

  /// Floats (6 MB) a generated model keeps resident beyond its weights, activations and
  /// scratch: code pages, the loader's buffers and the worker threads (1.2 MB measured on
  /// `edge_vertical`, which has no weights; 3.2 MB before the default thread count stopped
  /// using `ProcessInfo`; Benchmarks/README.md, "model RSS"), plus the zero rows that pad
  /// packed weight blocks. At 4 MB ResNet-101 measured 1.108 and VGG-16 1.100. Since the
  /// loader stopped touching `URL`, `JSONSerialization` and `String` hashing (~2.6 MB less on
  /// every file-loaded model) the same 6 MB leaves ResNet-101 at 1.066 and VGG-16 at 1.082: room
  /// for a lower figure and more Winograd layers, not taken yet (the record run used this one).
  static let residentOverheadFloats = 1_500_000

  /// Share of the network's weights plus peak activations that Winograd's larger filters (16
  /// values per input and output channel instead of 9) may add where the memory target leaves
  /// less room than this (or none: small networks, whose fixed overhead alone exceeds 10 %).
  static let winogradMemoryShare = 0.05

  /// The qualifying layers that take the Winograd kernel: by output plane size, largest first —
  /// the multiply-adds saved per extra filter value — within a memory budget. The budget is the
  /// room the memory target leaves (10 % of weights + peak activations, less
  /// `residentOverheadFloats` and the other kernels' largest scratch), each layer paying its
  /// extra filter values and whatever its scratch adds to the largest; where that room is less
  /// than `winogradMemoryShare` of weights + peak activations, the extra filter values alone
  /// may take that share (speed first where the target is out of reach or nearly so).
  /// Transformed filters on every 3x3 layer would add 34 % to ResNet-50's weights, most of it
  /// in layer4, whose 7x7 planes gain least (a 4x4 tile grid computes 64 outputs for 49); big
  /// planes with few channels (VGG's 224²–56², ResNet's layer1–2) cost almost nothing.
  static func winogradLayers(_ lowered: LoweredNetwork, lanes: Int) -> Set<Int> {
    var weights = 0
    var scratch = 0
    var candidates: [(layer: Int, pixels: Int, extra: Int, scratch: Int)] = []
    for step in lowered.steps {
      let context = KernelContext(lowered: lowered, step: step, lanes: lanes, weightOffset: 0,
                                  followerOffsets: [:])
      switch context.layer.kind {
      case .conv, .dwconv:
        let g = geometry(context)
        weights += context.output.channels * g.inPerGroup * g.kernelH * g.kernelW
        scratch = max(scratch, plannedScratchWithoutWinograd(context))
        if qualifiesForWinograd(context) {
          candidates.append((context.layerIndex, context.output.height * context.output.width,
                             context.output.channels * g.inPerGroup * 7, winogradMemory(context)))
        }
      case .fc: weights += context.output.channels * (context.input.elementCount ?? 0)
      default: break
      }
    }
    let total = Double(weights + (lowered.liveness.peakElements ?? 0))
    let room = Int(MemoryTarget.share * total) - residentOverheadFloats - scratch
    let share = Int(winogradMemoryShare * total)
    let countsScratch = room >= share
    var budget = countsScratch ? room : share
    var chosen = Set<Int>()
    for candidate in candidates.sorted(by: { ($0.pixels, -$0.layer) > ($1.pixels, -$1.layer) }) {
      let growth = countsScratch ? max(0, candidate.scratch - scratch) : 0
      guard candidate.extra + growth <= budget else { continue }
      budget -= candidate.extra + growth
      scratch += growth
      chosen.insert(candidate.layer)
    }
    return chosen
  }

  static func winogradPlan(_ context: KernelContext) -> WinogradPlan {
    let g = geometry(context)
    let output = context.output
    let lanes = context.lanes
    let tilesHigh = (output.height + 1) / 2
    let tilesWide = (output.width + 1) / 2
    let paddedH = max(g.paddedH, 2 * tilesHigh + 2)
    let paddedW = max(g.paddedW, 2 * tilesWide + 2)
    // Two-vector panels (up to 12 rows: 24 accumulators; 6 with AVX2's 12) wherever a block
    // can hold one; the row count that gives two threads the most even shares of channel blocks
    // (DenseNet's 32 output channels are 4 blocks of 8, not 3 of 11: one thread idled a third of
    // each step), counting two rows' worth of loads per call.
    let most = context.accumulators / 2
    let wideRows = (most / 2...most).map { GEMM.rows(g.outPerGroup, maxRows: $0) }.min { a, b in
      func cost(_ rows: Int) -> Int { (g.outPerGroup + 2 * rows - 1) / (2 * rows) * (rows + 2) }
      return (cost(a), -a) < (cost(b), -b)
    } ?? most
    let wideBlocks = (g.outPerGroup + wideRows - 1) / wideRows
    let rowBytes = 16 * g.inPerGroup * tilesWide * 4
    let blockRows = winogradBlockRows(
      tilesHigh: tilesHigh, tilesWide: tilesWide, minimumTiles: 2 * lanes, rowBytes: rowBytes,
      filterBytes: 16 * g.inPerGroup * wideBlocks * wideRows * 4, channelBlocks: wideBlocks,
      lean: context.leanWork)
    func plan(_ blockRows: Int) -> WinogradPlan {
      let panelWidth = blockRows * tilesWide >= 2 * lanes ? 2 * lanes : lanes
      let rows = panelWidth == 2 * lanes ? wideRows : GEMM.rows(g.outPerGroup, maxRows: context.accumulators)
      let transformLanes = [lanes, 8, 4].first { $0 <= tilesWide && $0 <= lanes } ?? 4
      return WinogradPlan(
        tilesHigh: tilesHigh, tilesWide: tilesWide, paddedH: paddedH, paddedW: paddedW,
        needsPadding: paddedH != context.input.height || paddedW != context.input.width,
        blockRows: blockRows, inputChannels: g.inPerGroup,
        channelRows: rows, channelBlocks: (g.outPerGroup + rows - 1) / rows, panelWidth: panelWidth,
        transformLanes: transformLanes,
        productsBytes: context.leanWork ? winogradLeanProductsBytes : winogradProductsBytes)
    }
    let divided = plan(blockRows)
    guard divided.ownsTileRows, let balanced = balancedBlockRows(divided, minimumTiles: 2 * lanes, rowBytes: rowBytes,
                                                                  lean: context.leanWork) else { return divided }
    let overlapping = plan(balanced)
    return overlapping.ownsTileRows ? overlapping : divided
  }

  /// Tile rows per block that give two threads an equal number of blocks, where the divisor
  /// `plan` chose leaves them an odd number (3 or more): `blocks + 1` blocks of
  /// `ceil(tilesHigh / (blocks + 1))` rows, the last overlapping the one before
  /// (`WinogradPlan.lastOverlap`); nil when that is not an even number of blocks of at least
  /// 4 tile rows (`copiesWindows`, which pads each block's window itself) and a two-vector panel, or
  /// (`lean`) outgrows the lean transformed input. SqueezeNet 1.0's 54² expand3x3 had 27 tile
  /// rows in 3 blocks of 9, one thread running two: at 2 threads 0.81 ms against 1.22 at 1.
  /// In 4 blocks of 7 (the last from tile row 20) the threads run two each, and the panels of
  /// tiles are no fewer (8 of 32 per 9 rows, 6 per 7).
  static func balancedBlockRows(_ plan: WinogradPlan, minimumTiles: Int, rowBytes: Int, lean: Bool) -> Int? {
    guard plan.blocks >= 3, plan.blocks % 2 == 1 else { return nil }
    let rows = (plan.tilesHigh + plan.blocks) / (plan.blocks + 1)
    let blocks = (plan.tilesHigh + rows - 1) / rows
    guard blocks % 2 == 0, rows >= 4, rows * plan.tilesWide >= minimumTiles,
          !lean || rows * rowBytes <= winogradLeanTransformedBytes else { return nil }
    return rows
  }

  /// Floats of packed weights: the transformed filters, the bias (`[block][channels]`) and one
  /// tile of zeros (the bias the register tile adds to `M`).
  static func winogradWeightCount(_ context: KernelContext) -> Int {
    let plan = winogradPlan(context)
    return plan.channelBlocks * plan.channelRows * (16 * plan.inputChannels + 1) + plan.channelRows
  }

  /// Floats of the step's own scratch: the padded input, transformed tiles and products where
  /// threads share them; for `ownsTileRows` only the padded input, when it is not windowed.
  static func winogradScratch(_ context: KernelContext) -> Int {
    let plan = winogradPlan(context)
    if plan.ownsTileRows { return plan.copiesWindows ? 0 : plan.paddedCount }
    return plan.paddedCount + plan.transformedCount + plan.scratchProductsCount
  }

  /// Floats of each thread's work buffer: its window, transformed tiles and products
  /// (`ownsTileRows`), or its group of products.
  static func winogradPartCount(_ plan: WinogradPlan) -> Int {
    if plan.ownsTileRows {
      return (plan.copiesWindows ? plan.windowRows * plan.paddedW : 0) + plan.transformedCount
        + plan.productGroup * plan.productsCount
    }
    return plan.productsPerThread ? plan.productGroup * plan.productsCount : 0
  }

  /// Floats the step holds in `scratch` at `Threading.plannedThreads` threads: what the memory
  /// budget charges it.
  static func winogradMemory(_ context: KernelContext) -> Int {
    winogradScratch(context) + Threading.plannedThreads * winogradPartCount(winogradPlan(context))
  }

  static func emitWinograd(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    let plan = winogradPlan(context)
    out.line("// Winograd F(2x2, 3x3): \(plan.tilesHigh)x\(plan.tilesWide) tiles, \(plan.blocks) block(s) of \(plan.blockRows) tile row(s)")
    if plan.ownsTileRows { return emitWinogradOwnedRows(context, g, plan, &out) }
    let channels = plan.inputChannels
    let blockTiles = plan.blockTiles
    var padded = g
    padded.paddedH = plan.paddedH
    padded.paddedW = plan.paddedW
    padded.needsPadding = plan.needsPadding
    emitPaddedCopy(context.input, padded, &out)
    out.line("let transformed = scratch + \(plan.paddedCount)")
    let transformWork = 16 * channels * blockTiles
    let gemmWork = 16 * channels * blockTiles * context.output.channels
    let splitTransform = Threading.worthSplitting(work: transformWork * 8, iterations: channels)
    let splitGEMM = Threading.worthSplitting(work: gemmWork, iterations: plan.channelBlocks)
    let input = winogradInputFunction(context, lanes: plan.transformLanes)
    out.line("let zero = UnsafePointer(weights + \(winogradZeroOffset(context, plan)))")
    out.block(forLoop("rowBlock", plan.blocks)) { out in
      out.line("let firstTileRow = \(plan.firstTileRow)")
      Threading.emitLoop("ic", channels, parallel: splitTransform, &out) { out in
        out.line("Self.\(input)(src + (ic &* \(plan.paddedH * plan.paddedW) &+ firstTileRow &* \(2 * plan.paddedW)), \(plan.paddedW), transformed + ic &* \(blockTiles), \(channels * blockTiles), \(plan.blockRows), \(plan.tilesWide))")
      }
      // Each thread takes a range of the blocks of output channels.
      Threading.emitParts(plan.channelBlocks, parallel: splitGEMM, &out) { out in
        if plan.productsPerThread {
          Threading.emitPartBuffer(plan.productGroup * plan.productsCount, context, &out) { out in
            out.line("let productBuffer = buffer.baseAddress!")
            emitProductGroups(context, plan, &out)
          }
        } else {
          out.line("let productBuffer = transformed + \(plan.transformedCount)")
          emitProductGroups(context, plan, &out)
        }
      }
    }
  }

  /// The `ownsTileRows` form: each thread takes a range of the blocks of tile rows and runs
  /// every channel block over each, its transformed input and products in its work buffer. With
  /// `copiesWindows`, per block and input channel the `windowRows` padded rows the block reads
  /// are copied into a small window (it stays in L1) and transformed from there: no padded copy
  /// of the whole input. Otherwise each thread first pads the rows of its own blocks into
  /// `scratch` (the last thread also the rows below them), and the threads meet once before
  /// the transforms, which read two rows of the next thread's.
  static func emitWinogradOwnedRows(_ context: KernelContext, _ g: Geometry, _ plan: WinogradPlan,
                                    _ out: inout SwiftEmitter) {
    let (input, channels, blockTiles) = (context.input, plan.inputChannels, plan.blockTiles)
    let gemmWork = 16 * channels * plan.tilesHigh * plan.tilesWide * context.output.channels
    let parallel = Threading.worthSplitting(work: gemmWork, iterations: plan.blocks)
    let transform = winogradInputFunction(context, lanes: plan.transformLanes)
    let plane = plan.paddedH * plan.paddedW
    // Padded row `row` of input channel `c` into `to`: the input row inside its zero border, or zeros.
    func paddedRow(_ out: inout SwiftEmitter) {
      out.line("let row = paddedRow &- \(g.padTop)")
      out.block("if UInt(bitPattern: row) < \(input.height)") { out in
        emitPaddedRow(input, padLeft: g.padLeft, paddedW: plan.paddedW, &out)
      }
      out.block("else") { out in out.line("to.update(repeating: 0, count: \(plan.paddedW))") }
    }
    out.line("let zero = UnsafePointer(weights + \(winogradZeroOffset(context, plan)))")
    if !plan.copiesWindows {
      out.line("// each thread pads the rows of its blocks of tile rows")
      Threading.emitRanges(plan.blocks, parallel: parallel, &out) { out in
        out.line("let top = first &* \(2 * plan.blockRows)")
        out.line("let bottom = end == \(plan.blocks) ? \(plan.paddedH) : end &* \(2 * plan.blockRows)")
        out.block(forLoop("c", channels)) { out in
          out.block("for paddedRow in top..<bottom") { out in
            out.line("let to = scratch + (c &* \(plane) &+ paddedRow &* \(plan.paddedW))")
            paddedRow(&out)
          }
        }
      }
    }
    out.line("// each thread: its blocks of tile rows, every channel block over them")
    Threading.emitParts(plan.blocks, parallel: parallel, &out) { out in
      let window = plan.copiesWindows ? plan.windowRows * plan.paddedW : 0
      Threading.emitPartBuffer(winogradPartCount(plan), context, &out) { out in
        out.line("let transformed = buffer.baseAddress! + \(window)")
        out.line("let productBuffer = transformed + \(plan.transformedCount)")
        out.block("for rowBlock in first..<end") { out in
          out.line("let firstTileRow = \(plan.firstTileRow)")
          out.block(forLoop("c", channels)) { out in
            if plan.copiesWindows {
              out.block(forLoop("r", plan.windowRows)) { out in
                out.line("let paddedRow = firstTileRow &* 2 &+ r")
                out.line("let to = buffer.baseAddress! + r &* \(plan.paddedW)")
                paddedRow(&out)
              }
              out.line("Self.\(transform)(UnsafePointer(buffer.baseAddress!), \(plan.paddedW), transformed + c &* \(blockTiles), \(channels * blockTiles), \(plan.blockRows), \(plan.tilesWide))")
            } else {
              out.line("Self.\(transform)(UnsafePointer(scratch + (c &* \(plane) &+ firstTileRow &* \(2 * plan.paddedW))), \(plan.paddedW), transformed + c &* \(blockTiles), \(channels * blockTiles), \(plan.blockRows), \(plan.tilesWide))")
            }
          }
          out.block("do") { out in
            out.line("let first = 0, end = \(plan.channelBlocks)")
            emitProductGroups(context, plan, &out)
          }
        }
      }
    }
  }

  /// Offset of the tile of zeros the micro-kernel adds as its bias.
  static func winogradZeroOffset(_ context: KernelContext, _ plan: WinogradPlan) -> Int {
    let filterFloats = plan.channelBlocks * 16 * plan.inputChannels * plan.channelRows
    return context.weightOffset + filterFloats + plan.channelBlocks * plan.channelRows
  }

  /// The channel blocks `first..<end` over the transformed block of tile rows `transformed`
  /// (tile row `firstTileRow`), `productGroup` blocks at a time: products into `productBuffer`,
  /// then the output transform into `y`. ξ outermost within a group: the point's transformed
  /// input (`[ic][tile]`) stays in L1/L2 while every block of the group runs over it
  /// (block-outermost re-read it once per 11-channel block from L3 when blocks were not sized
  /// for L2: 25 ms instead of 18 on a 28² x 512 layer), and each block's filter panel
  /// (`[ic][rows]`) stays in L1 across the panels of tiles. A block of tile rows that is not a
  /// whole number of panels ends with one overlapping the previous (the same values written
  /// twice). Then the output transform reads the group's products while they are in L2.
  static func emitProductGroups(_ context: KernelContext, _ plan: WinogradPlan, _ out: inout SwiftEmitter) {
    let g = geometry(context)
    let output = context.output
    let (channels, rows, blockTiles, width) = (plan.inputChannels, plan.channelRows, plan.blockTiles, plan.panelWidth)
    let biasOffset = context.weightOffset + plan.channelBlocks * 16 * channels * rows
    let lastValid = g.outPerGroup - (plan.channelBlocks - 1) * rows
    let kernel = GEMM.microKernel(context, rows: rows, width: width, clamp: .none)
    let panels = (blockTiles + width - 1) / width
    let outputFunction = winogradOutputFunction(context, lanes: plan.transformLanes,
                                                clamp: vectorClamp(context) ?? .none)
    let lastRowSingle = output.height % 2 == 1 ? "rowBlock == \(plan.blocks - 1)" : "false"
    let group = plan.productGroup
    // The products' slot of a block: in the work buffer, or by block in scratch.
    let slot = plan.productsPerThread ? "(block &- groupStart)" : "block"
    out.block("for groupStart in stride(from: first, to: end, by: \(group))") { out in
      out.line("let groupEnd = min(groupStart &+ \(group), end)")
      out.block("for xi in 0..<16") { out in
        out.line("let points = UnsafePointer(transformed + xi &* \(channels * blockTiles))")
        out.block("for block in groupStart..<groupEnd") { out in
          out.line("let panel = UnsafePointer(weights + (\(context.weightOffset) &+ (block &* 16 &+ xi) &* \(channels * rows)))")
          out.line("let results = productBuffer + (\(slot) &* \(plan.productsCount) &+ xi &* \(rows * blockTiles))")
          out.block(forLoop("tilePanel", panels)) { out in
            out.line("let firstTile = min(tilePanel &* \(width), \(blockTiles - width))")
            out.line("Self.\(kernel)(panel, points + firstTile, zero, results + firstTile, \(channels), \(blockTiles), \(blockTiles))")
          }
        }
      }
      out.block("for block in groupStart..<groupEnd") { out in
        out.line("let firstChannel = block &* \(rows)")
        out.line("let valid = block == \(plan.channelBlocks - 1) ? \(lastValid) : \(rows)")
        out.line("let bias = UnsafePointer(weights + (\(biasOffset) &+ block &* \(rows)))")
        out.line("let products = UnsafePointer(productBuffer + \(slot) &* \(plan.productsCount))")
        // The last block's first tile rows are the block before's: written once, by it.
        let skips = plan.lastOverlap > 0
        if skips { out.line("let skip = rowBlock == \(plan.blocks - 1) ? \(plan.lastOverlap) : 0") }
        let productsAt = skips ? "products + (r &* \(blockTiles) &+ skip &* \(plan.tilesWide))" : "products + r &* \(blockTiles)"
        let firstRow = skips ? "(firstTileRow &+ skip)" : "firstTileRow"
        let blockRows = skips ? "\(plan.blockRows) &- skip" : "\(plan.blockRows)"
        out.block("for r in 0..<valid") { out in
          out.line("Self.\(outputFunction)(\(productsAt), \(rows * blockTiles), y + ((firstChannel &+ r) &* \(output.height) &+ \(firstRow) &* 2) &* \(output.width), \(output.width), \(blockRows), \(plan.tilesWide), \(lastRowSingle), bias[r])")
        }
      }
    }
  }

  /// The shared input transform for `lanes`-tile vectors: `V = Bᵀ d B` for one channel's
  /// `tileRows` rows of `tilesWide` tiles, into `slots` (point ξ at `slots + ξ * pointStride`).
  /// A row that is not a whole number of vectors ends with one overlapping the previous. Row by
  /// row, `d B` is `(d0 - d2, d1 + d2, d2 - d1, d1 - d3)` over the patch columns
  /// `d0…d3 = x[2t…2t+3]`, picked from two vectors with literal lanes (one two-source permute
  /// each); the same over the rows gives `Bᵀ (d B)`. Sizes are arguments, so every layer with
  /// the same vector width shares the function (58 inlined copies made DenseNet-121 compile in
  /// 150 s).
  static func winogradInputFunction(_ context: KernelContext, lanes l: Int) -> String {
    let vector = "SIMD\(l)<Float>"
    let key = "winograd input lanes\(l)"
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      out.line("/// Winograd F(2x2, 3x3) input transform, \(l) tiles per vector: `plane` rows `rowStride` apart, `slots`: `[16][pointStride]`.")
      out.block("@inline(never) private static func \(name)(_ plane: UnsafePointer<Float>, _ rowStride: Int, _ slots: UnsafeMutablePointer<Float>, _ pointStride: Int, _ tileRows: Int, _ tilesWide: Int)") { out in
        func pick(_ a: String, _ b: String, _ parity: Int) -> String {
          let lanesPicked = (0..<l).map { lane -> String in
            let index = 2 * lane + parity
            return index < l ? "\(a)[\(index)]" : "\(b)[\(index - l)]"
          }
          return "\(vector)(\(lanesPicked.joined(separator: ", ")))"
        }
        out.block("func vectorOfTiles(_ tileRow: Int, _ firstColumn: Int)") { out in
          out.line("let rowStart = plane + (tileRow &* 2 &* rowStride &+ 2 &* firstColumn)")
          for i in 0..<4 {
            out.line("let r\(i) = rowStart + \(i == 0 ? "0" : "\(i) &* rowStride")")
            out.line("let a\(i) = UnsafeRawPointer(r\(i)).loadUnaligned(as: \(vector).self)")
            out.line("let b\(i) = UnsafeRawPointer(r\(i) + \(l)).loadUnaligned(as: \(vector).self)")
            out.line("let e\(i) = UnsafeRawPointer(r\(i) + 2).loadUnaligned(as: \(vector).self)")
            out.line("let f\(i) = UnsafeRawPointer(r\(i) + \(l + 2)).loadUnaligned(as: \(vector).self)")
            out.line("let d\(i)0 = \(pick("a\(i)", "b\(i)", 0)), d\(i)1 = \(pick("a\(i)", "b\(i)", 1))")
            out.line("let d\(i)2 = \(pick("e\(i)", "f\(i)", 0)), d\(i)3 = \(pick("e\(i)", "f\(i)", 1))")
            out.line("let h\(i)0 = d\(i)0 - d\(i)2, h\(i)1 = d\(i)1 + d\(i)2, h\(i)2 = d\(i)2 - d\(i)1, h\(i)3 = d\(i)1 - d\(i)3")
          }
          out.line("let to = UnsafeMutableRawPointer(slots + (tileRow &* tilesWide &+ firstColumn))")
          out.line("let point = pointStride &* 4")
          let rows = [("h0", "-", "h2"), ("h1", "+", "h2"), ("h2", "-", "h1"), ("h1", "-", "h3")]
          for (i, (left, op, right)) in rows.enumerated() {
            for j in 0..<4 {
              out.line("(to + \(i * 4 + j) &* point).storeBytes(of: \(left)\(j) \(op) \(right)\(j), as: \(vector).self)")
            }
          }
        }
        out.block("for tileRow in 0..<tileRows") { out in
          out.block("for vectorIndex in 0..<(tilesWide / \(l))") { out in
            out.line("vectorOfTiles(tileRow, vectorIndex &* \(l))")
          }
          out.line("if tilesWide % \(l) != 0 { vectorOfTiles(tileRow, tilesWide &- \(l)) }  // overlaps the previous vector")
        }
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text
    }
    return context.helpers?.function(key, body) ?? "missingHelpers"
  }

  /// The shared output transform for `lanes`-tile vectors and `clamp`: `Y = Aᵀ M A` + `bias` for
  /// one channel's `tileRows` rows of `tilesWide` tiles (`M` point ξ at
  /// `results + ξ * pointStride`), clamped in registers; the two output columns of each tile are
  /// interleaved by literal-lane permutes and stored as whole vectors into the tile's two output
  /// rows of `o` (`width` floats each). With an odd `width` the vector holding a row's last tile
  /// stores one float fewer; with `lastRowSingle` the last tile row stores only its first row.
  static func winogradOutputFunction(_ context: KernelContext, lanes l: Int, clamp: GEMM.Clamp) -> String {
    let vector = "SIMD\(l)<Float>"
    let key = "winograd output lanes\(l) \(clamp)"
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      func interleave(_ a: String, _ b: String, half: Int) -> String {
        let picks = (0..<l).map { lane -> String in
          let index = half * l / 2 + lane / 2
          return lane % 2 == 0 ? "\(a)[\(index)]" : "\(b)[\(index)]"
        }
        return "\(vector)(\(picks.joined(separator: ", ")))"
      }
      out.line("/// Winograd F(2x2, 3x3) output transform, \(l) tiles per vector, clamp \(clamp): `results`: `[16][pointStride]`, `o`: output rows `width` apart.")
      out.block("@inline(never) private static func \(name)(_ results: UnsafePointer<Float>, _ pointStride: Int, _ o: UnsafeMutablePointer<Float>, _ width: Int, _ tileRows: Int, _ tilesWide: Int, _ lastRowSingle: Bool, _ bias: Float)") { out in
        out.line("let b = \(vector)(repeating: bias)")
        if clamp != .none {
          out.line("let zero = \(vector)(repeating: 0)")
          if clamp == .relu6 { out.line("let six = \(vector)(repeating: 6)") }
        }
        out.block("func vectorOfTiles(_ tileRow: Int, _ firstColumn: Int)") { out in
          out.line("let m = results + (tileRow &* tilesWide &+ firstColumn)")
          for xi in 0..<16 {
            out.line("let m\(xi) = UnsafeRawPointer(m + \(xi == 0 ? "0" : "\(xi) &* pointStride")).loadUnaligned(as: \(vector).self)")
          }
          // Aᵀ M: rows (m0 + m1 + m2, m1 - m2 - m3); then the same over the columns.
          for j in 0..<4 {
            out.line("let t0\(j) = m\(j) + m\(4 + j) + m\(8 + j), t1\(j) = m\(4 + j) - m\(8 + j) - m\(12 + j)")
          }
          let binding = clamp == .none ? "let" : "var"
          for r in 0..<2 {
            out.line("\(binding) y\(r)0 = t\(r)0 + t\(r)1 + t\(r)2 + b, y\(r)1 = t\(r)1 - t\(r)2 - t\(r)3 + b")
          }
          if clamp != .none {
            for name in ["y00", "y01", "y10", "y11"] {
              clamp.statements(clamping: name).forEach { out.line($0) }
            }
          }
          out.line("let top = o + (tileRow &* 2 &* width &+ 2 &* firstColumn)")
          out.line("let partial = width % 2 == 1 && firstColumn &+ \(l) == tilesWide")
          for r in 0..<2 {
            let row = r == 0 ? "top" : "(top + width)"
            let store = { (out: inout SwiftEmitter) in
              out.line("let low\(r) = \(interleave("y\(r)0", "y\(r)1", half: 0)), high\(r) = \(interleave("y\(r)0", "y\(r)1", half: 1))")
              out.line("UnsafeMutableRawPointer(\(row)).storeBytes(of: low\(r), as: \(vector).self)")
              out.block("if partial") { out in
                out.block(forLoop("i", l - 1)) { out in out.line("\(row)[\(l) &+ i] = high\(r)[i]") }
              }
              out.block("else") { out in
                out.line("UnsafeMutableRawPointer(\(row) + \(l)).storeBytes(of: high\(r), as: \(vector).self)")
              }
            }
            if r == 1 {
              out.block("if !(lastRowSingle && tileRow == tileRows &- 1)", store)
            } else {
              store(&out)
            }
          }
        }
        out.block("for tileRow in 0..<tileRows") { out in
          out.block("for vectorIndex in 0..<(tilesWide / \(l))") { out in
            out.line("vectorOfTiles(tileRow, vectorIndex &* \(l))")
          }
          out.line("if tilesWide % \(l) != 0 { vectorOfTiles(tileRow, tilesWide &- \(l)) }  // overlaps the previous vector")
        }
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text
    }
    return context.helpers?.function(key, body) ?? "missingHelpers"
  }
}
