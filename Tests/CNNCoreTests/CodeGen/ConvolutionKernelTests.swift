import CNNCore
import Foundation
import XCTest

/// The convolution paths (direct register tiles with channel and column remainders, 1x1 GEMM
/// with a narrow last panel, small-plane 1x1 layers on the direct kernel, strided and large
/// kernels) against the naive interpreter, and threading: `threads = 2` and `3` must give
/// bit-identical results to `threads = 1`.
final class ConvolutionKernelTests: XCTestCase {
  /// Starts the builds of this class's shared specs in the background, the last test's
  /// first (`GeneratedModelRunner.prefetch`): the tests, in name order, build the others and
  /// meet the prefetches in the middle.
  override class func setUp() {
    super.setUp()
    #if arch(x86_64)
    prefetchThreadsAndInterpreter(spec, type: "KernelPaths", generatedFor: "haswell")
    #endif
    prefetchThreadsAndInterpreter(spec, type: "KernelPaths", generatedFor: "znver4")
    for target in ["generic", "haswell"] {
      prefetchThreadsAndInterpreter(rowRunSpec, type: "Im2colRowRuns", generatedFor: target)
    }
    GeneratedModelRunner.prefetchEveryLayer(rowRunSpec, outputs: rowRunOutputs)
    prefetchThreadsAndInterpreter(rowRunSpec, type: "Im2colRowRuns")
    prefetchThreadsAndInterpreter(im2colSpec, type: "Im2colPaths", generatedFor: "skylake-avx512")
    GeneratedModelRunner.prefetchEveryLayer(spec, outputs: everyLayerOutputs)
    GeneratedModelRunner.prefetchEveryLayer(im2colSpec, outputs: everyIm2colLayerOutputs)
  }

  /// Layers big enough (>= 4 M MACs) that `h` and `g` run their outer loop on several threads.
  static let spec = """
    network KernelPaths
    input 84x84x16
    h: conv 16 11x11 s4 pad=1,1,2,2 floor
    a: conv 40 3x3 p1 | relu
    b: conv 64 1x1 | bn | relu6
    c: conv 20 1x1
    dw0: dwconv 3x3 p1 | relu
    g: conv 96 3x3 p1 | relu
    d: conv 48 3x3 s2 p1 | leakyrelu 0.1
    dw1: dwconv 3x3 p1 | relu6
    dw2: dwconv 3x3 s2 p1 floor
    e: conv 17 5x5 p2
    k: conv 24 3x3 p1 | relu6
    dw3: dwconv 5x5 s2 pad=2,1,2,1 floor | relu
    f: conv 32 1x1 s2
    fc1: fc 10

    """

  /// conv1-style layers (<= 4 input channels, one group): im2col panels + SGEMM, with strides,
  /// dilation, asymmetric padding, `ceil`, a narrow last panel and output counts that are not a
  /// multiple of the GEMM rows; `i1` (stride 2, 55 columns) and `i2` (stride 1, dilated) have
  /// output rows wider than a panel and gather row runs, `i3` and `i4` through the table of
  /// window origins; `gr` (2 groups) stays on the direct kernel. `big` (2.4 MB of
  /// weights, more than L2) takes the direct kernel that touches the next block's weights, and
  /// `fcbig` (3.7 MB) the fc loop that loads ahead in its weight stream.
  static let im2colSpec = """
    network Im2colPaths
    input 100x110x3
    i1: conv 20 7x7 s2 p3 | bn | relu
    r1: conv 4 1x1
    i2: conv 17 3x3 d2 p2 | relu6
    r2: conv 1 1x1
    i3: conv 16 5x5 s3 pad=0,1,2,1 ceil | leakyrelu 0.1
    r3: conv 2 1x1
    i4: conv 33 11x11 s4 pad=2,1,2,1 floor
    r4: conv 4 1x1
    gr: conv 32 3x3 g2 p1 | relu
    wide: conv 128 1x1
    big: conv 520 3x3 p1 | relu
    fcbig: fc 300 | relu
    fc1: fc 10

    """

  /// Strided im2col layers on their column-phase copy: 11x11 s4 unpadded with 52 output
  /// columns (row runs: panels that cross into the next row, a partial last panel) and a
  /// `stride=1x3` layer with asymmetric padding and `ceil` (3 runs; its last window reads past
  /// the right edge).
  static let rowRunSpec = """
    network Im2colRowRuns
    input 23x215x3
    n1: conv 16 11x11 s4 | relu
    m1: conv 3 1x1
    n2: conv 20 3x3 stride=1x3 pad=1,1,1,0 ceil | relu6
    m2: conv 2 1x1

    """

  /// Generated for `znver4` (AVX-512's tile shapes) whatever the host: SIMD16 code runs on any
  /// x86-64, and the host's own target is checked by the tests below.
  func testPathsAgreeWithInterpreterAndThreadsAreIdentical() throws {
    let source = try checkThreadsAndInterpreter(Self.spec, type: "KernelPaths", generatedFor: "znver4")
    XCTAssertTrue(source.contains("SGEMM micro-kernel"), "1x1 layers use the GEMM path")
    XCTAssertTrue(source.contains("Direct convolution tile"), "3x3 layers use the direct kernel")
    XCTAssertTrue(source.contains("Self.parallelParts("), "large layers are threaded")
    // relu (a, g: 20 columns as 2 tiles of 10), relu6 (k) and no follower (h: 20 columns, more
    // than one vector) store tiles transposed in registers, clamped there; d's leaky relu
    // (10 columns of 32 channels) is stored unclamped and applied over the stored rows.
    for shape in ["tile32x10 relu", "tile16x20 none", "tile16x5 relu6", "tile32x10 none"] {
      XCTAssertTrue(source.contains("Transposed store: direct store \(shape) lanes"), shape)
    }
    XCTAssertTrue(source.contains("var v = o[p]"), "d's leaky relu runs over the stored rows")
    XCTAssertFalse(source.contains("stage[p &* "), "no tile is copied value by value")
  }

  /// AVX2's 16 registers (`KernelContext.accumulators`: 12), against the interpreter, 1-3
  /// threads: direct tiles of 2 vectors x at most 6 columns (20 columns: 4 tiles of 5), stored
  /// transposed with 8 lanes (3 shuffle rounds, pieces of 4/2/1), their tap-major loops over
  /// channel-interleaved rows (`directInterleavesRows`; `d` strided, `e` a 5x5 window with a
  /// partial channel block, `h` an 11x11 window looped by rows), and GEMM tiles of at most 12
  /// accumulators. AVX2 code runs on every x86-64 host these tests run on.
  func testSixteenRegisterTargetsKeepTilesInRegisters() throws {
    let source = try checkThreadsAndInterpreterOnAVX2(Self.spec, type: "KernelPaths")
    for shape in ["tile16x5 relu lanes8", "tile16x5 relu6 lanes8", "tile16x5 none lanes8"] {
      XCTAssertTrue(source.contains("Transposed store: direct store \(shape)"), shape)
    }
    XCTAssertNil(source.range(of: #"direct k\d+x\d+ [^\n]* tile16x([7-9]|\d\d)"#, options: .regularExpression),
                 "no direct tile holds more than 12 accumulators")
    XCTAssertNil(source.range(of: #"gemm rows([7-9]|\d\d) width16|gemm rows([5-9]|\d\d) width24"#, options: .regularExpression),
                 "no GEMM tile holds more than 12 accumulators")
    XCTAssertTrue(source.contains("gemm rows4 width16"), "b's 64 channels: 16 blocks of 4")
    // Rows of every input channel in turn: a's 16 channels of 22 floats, e's 48 of 9, d's 96
    // of 22 (stride 2), h's 16 of 87 (11x11: a loop over the window's rows).
    for key in ["direct k3x3 s1 d1x1 row352 tile16x5", "direct k5x5 s1 d1x1 row432 tile16x5",
                "direct k3x3 s2 d1x1 row2112 tile16x5", "direct k11x11 s4 d1x1 row1392 tile16x5"] {
      XCTAssertTrue(source.contains(key), key)
    }
    XCTAssertTrue(source.contains("let plane = scratch + ((c / 20) &* 9680 &+ (c % 20) &* 22)"), "g's interleaved copy")
    XCTAssertTrue(source.contains("var xi = x + (ky &* 1392 &+ 0)"), "h's taps start at their window row")
    // Weights tap-major (`tapMajorTaps`): e's 5x5 window packed `[tap][ic][tile]`, each tap's
    // loop starting at its own run and stepping one tile.
    XCTAssertTrue(source.contains("\"e.weight\", bias: \"e.bias\", norm: nil, groups: 1, outPerGroup: 17, inner: 1200, taps: 25, lanes: 16"), "e packed tap-major")
    XCTAssertTrue(source.contains("var wi = w + channels &* 384"), "e's last tap (4, 4) starts 24 tiles in")
  }

  /// AVX2's 1x1 tiles by depth (`pointwiseTile`): 128 deep, 64 output channels take 6-row
  /// blocks with a partial last one (10 blocks of 6, then 4 rows); 64 deep, 4-row blocks that
  /// divide the 64 channels (`GEMM.evenRows`). Both against the interpreter, 1-3 threads.
  func testDeepPointwiseLayersTakeSixRowTilesOnSixteenRegisters() throws {
    let source = try checkThreadsAndInterpreterOnAVX2("""
      network DeepPointwise
      input 12x12x128
      p: conv 64 1x1 | relu
      q: conv 64 1x1

      """, type: "DeepPointwise")
    XCTAssertTrue(source.contains("// 11 blocks of 6 channels x 9 panels of 16 pixels"), "p: 128 deep")
    XCTAssertTrue(source.contains("// 16 blocks of 4 channels x 9 panels of 16 pixels"), "q: 64 deep")
  }

  /// AVX2's channel-vector tails (`tailRunsOverChannels`, `GEMM.channelKernel`): a last panel
  /// of one pixel runs with SIMD over the block's output channels from a `[k]` copy. `a` (7²,
  /// 49 = 3 x 16 + 1; 160 deep: 7 blocks of 6 rows, the last 4, whose loads read into the
  /// bias) with a relu the kernel applies, `b` (40 deep: 5-row blocks) with a leaky relu the
  /// staged copy applies, `r` with a fused residual add and relu6; `t` on a 6x3 plane (a
  /// 2-pixel tail: the vector kernel, overlapping the panel before), `g` on a 1x1 plane (the
  /// channel kernel is the whole layer). Against the interpreter, 1-3 threads.
  func testNarrowTailsRunOverChannelsOnSixteenRegisters() throws {
    let source = try checkThreadsAndInterpreterOnAVX2("""
      network ChannelTails
      input 7x7x160
      a: conv 40 1x1 | relu
      b: conv 160 1x1 | leakyrelu 0.1
      add {
        conv 24 1x1 | relu | r: conv 160 1x1
        identity
      } | relu6
      q: conv 64 2x5
      t: conv 96 1x1 | relu
      gap
      g: conv 30 1x1 | relu

      """, type: "ChannelTails")
    // a and g clamp in the kernel; b's leaky relu and r's residual + relu6 in the staged copy.
    for key in ["gemv rows6 relu lanes8", "gemv rows5 none lanes8"] {
      XCTAssertTrue(source.contains("Channel-vector kernel for a 1-pixel last panel: \(key)"), key)
    }
    XCTAssertTrue(source.contains("UnsafeMutableRawPointer(out).storeBytes(of: c, as: SIMD8<Float>.self)"), "the whole vector is stored")
    XCTAssertTrue(source.contains("// the last pixel, copied [160] for the channel-vector kernel"), "a's tail copied")
    XCTAssertTrue(source.contains("// the last 2 pixels: a 8-wide panel that overlaps the one before"), "t's 2-pixel tail")
    XCTAssertTrue(source.contains("// 5 blocks of 6 channels x 1 panels of 16 pixels"), "g: one 1-pixel panel")
    XCTAssertFalse(source.contains("zero-filled"), "no tail is zero-filled to a vector")
  }

  /// AVX2's paired rest tiles (`tileWidths`): a 13-wide row is tiles of 5, 5 and 3 columns,
  /// and the 3-column rest (6 accumulators, too few to hide the FMA latency) covers two rows
  /// at once. `a` splits channel blocks between threads (13 rows: 6 pairs and a last odd row),
  /// `b` (3 blocks) splits the rows in halves whose pairing is decided at run time (6 and 7
  /// rows), with a leaky relu applied over the stored rows of both; `c` is strided (7x7
  /// output, the second row of a pair 2 input rows down) with a partial last block. Against
  /// the interpreter, 1-3 threads.
  func testNarrowRestTilesPairRowsOnSixteenRegisters() throws {
    let source = try checkThreadsAndInterpreterOnAVX2("""
      network PairedRows
      input 13x13x32
      a: conv 64 3x3 p1 | relu
      b: conv 48 3x3 p1 | leakyrelu 0.1
      c: conv 40 3x3 s2 p1 | relu6

      """, type: "PairedRows")
    XCTAssertTrue(source.contains("direct k3x3 s1 d1x1 row480 tile16x3x2 rows"), "a: 3 columns x 2 rows")
    XCTAssertTrue(source.contains("direct k3x3 s2 d1x1 row720 tile16x3x2 rows"), "c: strided pairs")
    XCTAssertTrue(source.contains("for oy in stride(from: firstRow, to: endRow &- 1, by: 2)"), "b: halves pair at run time")
    XCTAssertTrue(source.contains("if (endRow &- firstRow) & 1 != 0"), "b: a half's odd last row")
    XCTAssertTrue(source.contains("let oy = 7 &- 1"), "c: the odd last row alone")
    XCTAssertTrue(source.contains("var v = o[p]"), "b's leaky relu runs over the stored rows")
  }

  /// AVX2's channel chunks (`tapChunk`): 161 input channels of 32-float padded rows (20.6 KB a
  /// row, over the 16 KB limit) run the 3x3 window over 2 chunks of at most 81 channels, the
  /// last one 80; `b`'s 24 channels (1.6 KB a row) keep a single pass. Against the
  /// interpreter, 1-3 threads.
  func testWideRowsRunTheWindowOverChannelChunksOnSixteenRegisters() throws {
    let source = try checkThreadsAndInterpreterOnAVX2("""
      network ChannelChunks
      input 30x30x161
      a: conv 24 3x3 s2 p1 | relu
      b: conv 40 3x3 s2 p1

      """, type: "ChannelChunks")
    XCTAssertTrue(source.contains("direct k3x3 s2 d1x1 row5152 tile16x5 lanes8 fmatrue chunk81"), "a: chunks of 81")
    XCTAssertTrue(source.contains("let count = min(81, channels &- chunkStart)"), "a: a partial last chunk")
    XCTAssertTrue(source.contains("direct k3x3 s2 d1x1 row408 tile16x4 lanes8 fmatrue.\n"), "b: one pass")
  }

  /// A depth multiplier of 8 (`dwconv 32 3x3` on 4 channels: 4 groups of 8 outputs) is a
  /// grouped convolution on AVX2's direct tiles; its weights are packed for them like a
  /// `conv`'s (`tapMajorTaps`; with one input channel per group both orders coincide, so this
  /// pins that the packer and the kernel agree on which layers are tap-major). Against the
  /// interpreter, 1-3 threads.
  func testDepthMultiplierTilesOnSixteenRegisters() throws {
    let source = try checkThreadsAndInterpreterOnAVX2("""
      network DepthMultiplier
      input 12x12x4
      m: dwconv 32 3x3 p1 | relu

      """, type: "DepthMultiplier")
    XCTAssertTrue(source.contains("Direct convolution tile"), "m runs on the direct tiles")
    XCTAssertTrue(source.contains("inner: 9, taps: 9, lanes: 8"), "m packed tap-major")
  }

  /// A standalone batch norm over 16x16x512 (DenseNet's pre-activation `norm1`, a copy because
  /// its input has another reader) splits its channels between threads; the 16x16x8 one stays on
  /// the calling thread. Numerics against the interpreter, 1 and 2 threads.
  func testLargeElementwiseMapIsThreaded() throws {
    let source = try checkThreadsAndInterpreter("""
      network BigMaps
      input 16x16x16
      a: conv 512 1x1
      big: bn
      @a | c: conv 8 1x1
      small: bn
      @c | d: conv 4 1x1
      output @big, @small, @d
      """, type: "BigMaps")
    func body(_ name: String) -> String { Self.stepBody(name, in: source) }
    XCTAssertTrue(body("big").contains("Self.parallelFor(512"), "the 131 k-value map is split")
    XCTAssertFalse(body("small").isEmpty)
    XCTAssertFalse(body("small").contains("parallelFor"), "the 2,048-value map is not")
  }

  /// The zero-padded copy of a direct convolution's input is split between threads from ~31 K
  /// floats (a copied float counts as 32 multiply-adds): SqueezeNet 1.1's 55² x 16 expand3x3
  /// input (16 planes of 57², 52 K floats) is split, a 14² x 16 one (4 K) is not. Where the
  /// layer's weights are no larger than its input (`directSplitsRows`: 9 K floats against 48 K)
  /// the threads take halves of the rows, in the copy and then through every channel block;
  /// where they are larger (9 K against 3 K) they take channel blocks. Numerics against the
  /// interpreter (every output, the row-split one included), 1-3 threads.
  func testThreadsSplitRowsWhereTheWeightsAreSmall() throws {
    let source = try checkThreadsAndInterpreter("""
      network PaddedCopies
      input 55x55x16
      big: conv 64 3x3 p1 | relu
      half: maxpool 3 s2
      pool: maxpool 3 s2
      squeeze: conv 16 1x1 | relu
      small: conv 64 3x3 p1 | relu
      output @big, @half, @small
      """, type: "PaddedCopies", generatedFor: "znver4")
    func body(_ name: String) -> String { Self.stepBody(name, in: source) }
    let big = body("big")
    XCTAssertTrue(big.contains("let plane = scratch + (c &* 3249)"), "the direct kernel's padded copy")
    XCTAssertTrue(big.contains("Self.parallelFor(2, threads: threads, pool: pool)"), "the copy is split in two")
    XCTAssertTrue(big.contains("for row in (half &* 55 / 2)..<((half &+ 1) &* 55 / 2)"), "by rows")
    XCTAssertTrue(big.contains("if half == 0 { plane.update(repeating: 0, count: 57) }"), "the top border once")
    XCTAssertTrue(big.contains("Self.parallelParts(4, threads: threads, pool: pool)"), "2 halves x 2 blocks")
    XCTAssertTrue(big.contains("let half = item / 2"), "half-major: a thread's items are one half")
    XCTAssertTrue(big.contains("for oy in (half &* 55 / 2)..<((half &+ 1) &* 55 / 2)"), "the kernel's rows")
    let small = body("small")
    XCTAssertTrue(small.contains("let plane = scratch + (c &* 225)"), "the direct kernel's padded copy")
    XCTAssertTrue(small.contains("for c in 0..<16 {"), "16 planes of 15² are not split")
    XCTAssertTrue(small.contains("for block in first..<end"), "weights larger than the input: split by blocks")
    XCTAssertTrue(small.contains("for oy in 0..<13"))
  }

  /// Direct-tile layers split by channel blocks whose padded input is small against their
  /// arithmetic (`Convolution.directCopiesPerThread`): each part copies the whole padded input
  /// into its own work buffer and runs its blocks over that copy, with no shared copy and no
  /// hand-off between the copy and the tiles. `wide` (14² x 64 -> 240: 8 blocks, the last
  /// half full) does; `narrow` (240 -> 64: 2 blocks, 61,440 padded floats for 27 M MACs) keeps
  /// the shared copy. Against the interpreter at 1-3 threads, on AVX-512 and on AVX2 (whose
  /// copy interleaves the channels' rows).
  func testThreadsCopyASmallPaddedInputEach() throws {
    let spec = """
      network PerThreadCopies
      input 14x14x64
      wide: conv 240 3x3 p1 | relu
      narrow: conv 64 3x3 p1 | relu
      output @wide, @narrow
      """
    let source = try checkThreadsAndInterpreter(spec, type: "PerThreadCopies", generatedFor: "znver4")
    let wide = Self.stepBody("wide", in: source)
    XCTAssertTrue(wide.contains("Self.parallelParts(8, threads: threads, pool: pool)"), "8 blocks")
    XCTAssertTrue(wide.contains("let copy = buffer.baseAddress!"), "the copy is the part's own")
    XCTAssertTrue(wide.contains("for c in 0..<64 {\n          let plane = copy + (c &* 256)"), "all 64 planes")
    XCTAssertTrue(wide.contains("let stage = copy + 16384"), "the stage follows the copy")
    XCTAssertFalse(wide.contains("parallelFor("), "no shared copy")
    let narrow = Self.stepBody("narrow", in: source)
    XCTAssertTrue(narrow.contains("Self.parallelFor(240, threads: threads, pool: pool)"), "one shared copy, split")
    XCTAssertTrue(narrow.contains("let plane = scratch + (c &* 256)"))
    XCTAssertFalse(narrow.contains("let copy ="))
    let avx2 = try checkThreadsAndInterpreterOnAVX2(spec.replacingOccurrences(of: "conv 240", with: "conv 256"),
                                                    type: "PerThreadCopies")
    XCTAssertTrue(Self.stepBody("wide", in: avx2).contains("let plane = copy + ((c / 64) &* 16384 &+ (c % 64) &* 16)"),
                  "16 blocks of 16 channels, each thread's copy of interleaved rows")
  }

  /// Residual adds fused into the 1x1 convolution before them (`Lowering.fusableResidual`):
  /// relu after (ResNet), nothing after (MobileNetV2), relu6 then a trailing identity, sigmoid
  /// (not a clamp: every tile staged), a 10x10 plane (a panel
  /// and an overlapping 4-pixel tail), 40 channels (a partial last block), a strided 1x1; one
  /// projection block whose shortcut runs after the conv keeps its `add` step. Numerics against
  /// the interpreter, 1 and 2 threads.
  func testResidualAddsFuseIntoPointwiseConvolutions() throws {
    let source = try checkThreadsAndInterpreter("""
      network Residuals
      input 10x10x8
      stem: conv 40 3x3 p1 | relu
      add {
        conv 16 1x1 | relu | r1: conv 40 1x1 | bn
        identity
      } | relu
      add {
        conv 40 1x1
        identity
      }
      add {
        conv 24 1x1 | relu | r3: conv 40 1x1
        identity
      } | relu6 | identity
      add {
        r4: conv 40 1x1 | bn
        identity
      } | sigmoid
      add {
        conv 24 1x1 | relu | r5: conv 40 1x1 s2
        conv 40 1x1 s2
      } | relu
      """, type: "Residuals")
    XCTAssertEqual(source.components(separatedBy: "(add): + ").count - 1, 4, "four adds fused")
    XCTAssertEqual(source.components(separatedBy: "\n    add").count - 1, 1, "the projection block keeps its add")
    for clamp in ["relu", "relu6", "none"] {
      XCTAssertNotNil(source.range(of: "\(clamp) lanes\\d+ fma\\w+ residual", options: .regularExpression),
                      "the \(clamp) micro-kernel adds the residual")
    }
  }

  /// Residual adds fused into 1x1 layers on the one-vector direct tiles (`streamsOneVector`:
  /// 7x7, 2 MB of weights or more), added in the transposed store before the clamp: `r1` then
  /// relu (2,056 channels, a last block of 8), `r2` then leaky relu (not a clamp: added in the store,
  /// the follower over the stored rows). `up`, a 1x1 of 64 input channels, keeps the GEMM and
  /// its residual-free store. Generated for `znver4`; against the interpreter, 1-3 threads.
  func testResidualAddsFuseIntoOneVectorDirectTiles() throws {
    let source = try checkThreadsAndInterpreter("""
      network DirectResiduals
      input 7x7x64
      up: conv 2056 1x1 | relu
      add {
        a1: conv 256 1x1 | relu | r1: conv 2056 1x1 | bn
        identity
      } | relu
      add {
        a2: conv 256 1x1 | relu | r2: conv 2056 1x1
        identity
      } | leakyrelu 0.1

      """, type: "DirectResiduals", generatedFor: "znver4")
    func body(_ name: String) -> String { Self.stepBody(name, in: source) }
    XCTAssertEqual(source.components(separatedBy: "(add): + ").count - 1, 2, "both adds fused")
    for name in ["a1", "r1", "a2", "r2"] {
      XCTAssertTrue(body(name).contains("let packed = UnsafePointer(weights"), "\(name) runs direct")
    }
    XCTAssertFalse(body("up").contains("let packed = UnsafePointer(weights"), "up keeps the GEMM")
    XCTAssertTrue(body("r1").contains("let valid = block % 129 == 128 ? 8 : 16"), "r1: the last block of 8")
    XCTAssertTrue(body("r1").contains(", x1 + (firstChannel &* 49 &+ oy &* 49 &+ ox))"), "r1 passes its residual")
    XCTAssertTrue(source.contains("Transposed store: direct store tile16x25 relu lanes16 residual"), "r1's store adds, then clamps")
    XCTAssertTrue(source.contains("Transposed store: direct store tile16x24 none lanes16 residual"), "r2's last tile")
    XCTAssertTrue(body("r2").contains("for lane in 0..<valid"), "r2's leaky relu over the stored rows")
  }

  /// 1x1 layers on 14x14 planes on the direct tiles (`pointwiseRunsDirect`): from 12,288
  /// weights where the two-vector blocks are even in number, from 65,536 where they are odd;
  /// fused residuals below 1 MB of weights. `e`, `p` (192 -> 192, 6 blocks; `p` adds its
  /// residual in the transposed store), `g` (160 -> 128, 4 blocks, 20,480 weights), `f` (160 ->
  /// 416, 13 blocks) and `r` (416 -> 160 with a residual, 5 blocks) run direct; `b` (192 -> 96:
  /// 3 blocks, 18,432 weights), `d` (128 -> 64, 8,192 weights), `w` (512 -> 512 with a
  /// residual: 1 MB), and `up`, `u` and `h` (fewer than 128 inputs) keep the GEMM. Generated
  /// for `znver4`; against the interpreter, 1-3 threads.
  func testSmallPointwiseLayersRunOnDirectTiles() throws {
    let source = try checkThreadsAndInterpreter("""
      network SmallDirect
      input 14x14x64
      up: conv 192 1x1 | relu6
      add {
        e: conv 192 1x1 | relu6 | p: conv 192 1x1 | bn
        identity
      }
      b: conv 96 1x1 | relu
      u: conv 160 1x1 | relu
      add {
        f: conv 416 1x1 | relu6 | r: conv 160 1x1
        identity
      }
      g: conv 128 1x1 | relu
      d: conv 64 1x1 | relu
      h: conv 512 1x1 | relu
      add {
        w: conv 512 1x1
        identity
      } | relu

      """, type: "SmallDirect", generatedFor: "znver4")
    func body(_ name: String) -> String { Self.stepBody(name, in: source) }
    XCTAssertEqual(source.components(separatedBy: "(add): + ").count - 1, 3, "the three adds fused")
    for name in ["e", "p", "f", "r", "g"] {
      XCTAssertTrue(body(name).contains("let packed = UnsafePointer(weights"), "\(name) runs direct")
    }
    for name in ["up", "b", "u", "d", "h", "w"] {
      XCTAssertFalse(body(name).contains("let packed = UnsafePointer(weights"), "\(name) keeps the GEMM")
    }
    XCTAssertTrue(body("p").contains("Self.parallelParts(6, "), "p: 6 blocks of 32 channels")
    XCTAssertTrue(body("r").contains("Self.parallelParts(5, "), "r: 5 blocks of 32 channels")
    for name in ["p", "r"] {
      XCTAssertTrue(body(name).contains(", x1 + (firstChannel &* 196 &+ oy &* 196 &+ ox))"), "\(name) passes its residual")
    }
    XCTAssertTrue(source.contains("Transposed store: direct store tile32x12 none lanes16 residual"), "tiles of 12 add")
    XCTAssertTrue(source.contains("Transposed store: direct store tile32x4 none lanes16 residual"), "and the last of 4")
    XCTAssertTrue(body("w").contains("x1"), "w's GEMM adds the residual")
  }

  /// fc layers past L2 on a target without loads ahead (znver4) sum four blocks of outputs at
  /// once (`FullyConnected.streams`): `a` (1024 -> 1000, 4 MB) 15 groups and 3 single blocks,
  /// the last with 8 outputs; `b` (1000 -> 570, 2.3 MB) 9 groups, the last block of the last one
  /// with 10; `c` (0.02 MB) one block at a time. Against the interpreter, 1-3 threads identical.
  func testLargeFullyConnectedLayersReadFourWeightStreams() throws {
    let source = try checkThreadsAndInterpreter("""
      network FCStreams
      input 4x4x64
      a: fc 1000 | relu
      b: fc 570 | relu6
      c: fc 10

      """, type: "FCStreams", generatedFor: "znver4")
    XCTAssertEqual(source.components(separatedBy: "var sum3 = ").count - 1, 2, "a and b read four streams")
    XCTAssertTrue(source.contains("let block = 60 &+ (index &- 15)"), "a's last three blocks one by one")
    XCTAssertTrue(source.contains("for lane in 0..<(index == 8 ? 10 : 16)"), "b's partial last block in a group")
    XCTAssertFalse(source.contains("if index >= 9"), "b has no single blocks")
    XCTAssertEqual(source.components(separatedBy: "var odd = SIMD16<Float>()").count - 1, 2, "a's singles and c")
  }

  func testIm2colAgreesWithInterpreterAndThreadsAreIdentical() throws {
    // Generated for an Intel AVX-512 part whatever the host (SIMD16 code runs on any x86-64),
    // so that fcbig's loads ahead (which AMD targets leave out, `SwiftGenerator.touchesAhead`)
    // run here too and the panels have AVX-512's shape.
    let source = try checkThreadsAndInterpreter(Self.im2colSpec, type: "Im2colPaths",
                                                generatedFor: "skylake-avx512")
    XCTAssertEqual(source.components(separatedBy: "// im2col panels").count - 1, 4, "i1...i4 use im2col")
    XCTAssertEqual(source.components(separatedBy: "let split = min(columns, 55 &- ox)").count - 1, 2,
                   "i1 and i2 gather row runs")
    XCTAssertEqual(source.components(separatedBy: "offsets[p] = oy &*").count - 1, 2, "i3 and i4 gather by table")
    // Panels gathered per group (`im2colGroupPanels`, 64 KB): i1's 58 panels in groups of 2
    // (at 2 threads each thread's 29 end in a partial group), i2's 58 in groups of 9 (a
    // partial last group), i3's 7 in one, i4's (242 x 48 floats) one at a time.
    for (k, group) in [(147, 2), (36, 9), (25, 7), (242, 1)] {
      let comment = #"x \#(k) \+ SGEMM \dx48, \#(group) panel\(s\) gathered at a time"#
      XCTAssertNotNil(source.range(of: comment, options: .regularExpression), "K = \(k)")
    }
    XCTAssertTrue(source.contains("Direct convolution tile"), "the grouped layer stays direct")
    XCTAssertTrue(source.contains("Self.parallelParts(") , "i1 is threaded")
    XCTAssertNotNil(source.range(of: #"lanes\d+ fma\w+ touch\d+"#, options: .regularExpression),
                    "big touches the next block's weights")
    XCTAssertTrue(source.contains("sink += ahead["), "fcbig loads ahead")
  }

  func testIm2colRowRunsAgreeWithInterpreterAndThreadsAreIdentical() throws {
    let source = try checkThreadsAndInterpreter(Self.rowRunSpec, type: "Im2colRowRuns")
    // n1: 4 runs of 54 (215 columns and one of zeros); n2: 3 runs of 18 (a column of padding
    // on the left, 52 columns, and one past the edge that `ceil`'s last window reads).
    XCTAssertTrue(source.contains("let s = r + (kx % 4 &* 54 &+ kx / 4)"), "n1 reads its 4 column phases")
    XCTAssertTrue(source.contains("let split = min(columns, 52 &- ox)"), "n1 gathers row runs")
    XCTAssertTrue(source.contains("let s = r + (kx % 3 &* 18 &+ kx / 3)"), "n2 reads its 3 column phases")
    try checkEveryLayer(Self.rowRunSpec, outputs: Self.rowRunOutputs)
    // Panels of 3 vectors of 8 and of 4 lanes: 24 and 12 pixels, copied and over-read as such.
    for target in ["haswell", "generic"] {
      let narrow = try checkThreadsAndInterpreter(Self.rowRunSpec, type: "Im2colRowRuns", generatedFor: target)
      XCTAssertTrue(narrow.contains("let split = min(columns, 52 &- ox)"), "\(target): n1 gathers row runs")
    }
  }

  /// A 1x1 layer deep enough (256 channels in) that its panels are copied contiguous chunk by
  /// chunk: four chunks of 12 panels (384 KB), the last holding the partial last panel, 4 blocks of 12 channels
  /// (the last partial); its weights are small, so each thread packs a share of every chunk's
  /// panels and runs all blocks over it (`threadsOwnPanels`).
  func testPackedPanelChunksAgreeWithInterpreter() throws {
    let spec = """
      network PackedChunks
      input 40x30x256
      p: conv 45 1x1 | relu
      q: conv 20 1x1

      """
    let source = try checkThreadsAndInterpreter(spec, type: "PackedChunks", generatedFor: "znver4")
    XCTAssertTrue(source.contains("in 4 chunk(s) of 12 panels"), "four chunks")
    XCTAssertTrue(source.contains("let packedEnd = min(endPanel, 37)"), "p packs its panels per chunk")
    XCTAssertTrue(source.contains("each thread packs its share of the chunk"), "p's threads own panels")
  }

  /// 1x1 layers read in place with small weights split their panels between threads, each
  /// running every weight block over its own: `s` (256 channels in, 2 blocks of 8) a chunk of
  /// 12 panels at a time, `e` (16 in) all its panels at once.
  func testUnpackedSmallWeightLayersSplitPanels() throws {
    let source = try checkThreadsAndInterpreter("""
      network SqueezePanels
      input 40x30x256
      s: conv 16 1x1 | relu
      e: conv 64 1x1 | relu

      """, type: "SqueezePanels", generatedFor: "znver4")
    XCTAssertTrue(source.contains("2 blocks of 8 channels x 38 panels of 32 pixels, in 4 chunk(s) of 12 panels"), "s's cut")
    XCTAssertTrue(source.contains("for chunkFirst in stride(from: first, to: end, by: 12)"), "s runs its panels chunk by chunk")
    XCTAssertEqual(source.components(separatedBy: "Self.parallelParts(38,").count - 1, 2, "both split their 38 panels")
    XCTAssertFalse(source.contains("for block in first..<end"), "neither splits blocks")
  }

  /// 1x1 layers on planes of at most 14x14 with 128 or more input channels, whole tiles of 32
  /// output channels and 256 KB of weights run on the direct kernel (AVX-512): `flat` walks its
  /// 13x13 plane as one row of 169 (14 tiles of 12 columns and one of 1), `strided` its 7x7
  /// output row by row from every other input pixel; `partial` (7x7, 520 channels: 16 tiles and
  /// one of 8) too; `wide` (a 21x21 plane), `light` (64 KB of weights), `narrow` (32 input
  /// channels) and `partial13` (13x13, a partial tile) keep the GEMM. `heavy` (7x7, 2.1 MB of
  /// weights, 4,104 channels: the last block of 8) and `back2` run tiles of one vector
  /// (`streamsOneVector`): 25 and 24 columns. Generated for `znver4` whatever the host
  /// (SIMD16 code runs on any x86-64).
  func testSmallPlanePointwiseLayersRunDirect() throws {
    let source = try checkThreadsAndInterpreter("""
      network SmallPlanes
      input 13x13x128
      flat: conv 512 1x1 | relu
      partial13: conv 520 1x1
      back13: conv 512 1x1
      strided: conv 128 1x1 s2 | relu6
      partial: conv 520 1x1 | relu
      back: conv 128 1x1
      heavy: conv 4104 1x1 | relu
      back2: conv 128 1x1
      up: upsample 3
      wide: conv 512 1x1 | leakyrelu 0.1
      pool: maxpool 3
      light: conv 32 1x1
      narrow: conv 2048 1x1

      """, type: "SmallPlanes", generatedFor: "znver4")
    func body(_ name: String) -> String { Self.stepBody(name, in: source) }
    XCTAssertTrue(body("flat").contains("for t in 0..<14"), "flat: 14 tiles of 12 in one row")
    XCTAssertTrue(body("flat").contains("let ox = 168"), "flat: the last column")
    XCTAssertTrue(body("strided").contains("for oy in (half &* 7 / 2)..<((half &+ 1) &* 7 / 2)"),
                  "strided: row by row, threads taking halves (its 256 KB of weights against 338 KB of input)")
    XCTAssertTrue(body("partial").contains("let valid = block % 17 == 16 ? 8 : 32"), "partial: its last tile of 8")
    for name in ["heavy", "back2"] {
      XCTAssertTrue(body(name).contains("let ox = t &* 25"), "\(name): a tile of 25 columns")
      XCTAssertTrue(body(name).contains("let ox = 25"), "\(name): a last tile of 24")
    }
    XCTAssertTrue(body("heavy").contains("let valid = block % 257 == 256 ? 8 : 16"), "heavy: 16-channel blocks, the last of 8")
    XCTAssertTrue(source.contains("Transposed store: direct store tile16x25 relu lanes16"), "heavy's tiles")
    XCTAssertTrue(source.contains("Transposed store: direct store tile16x24 none lanes16"), "back2's last tile")
    XCTAssertFalse(body("partial").contains("% 33 =="), "partial (266 KB of weights) keeps two-vector tiles")
    for name in ["flat", "strided", "partial", "back", "heavy", "back2"] {
      XCTAssertTrue(body(name).contains("let packed = UnsafePointer(weights"), "\(name) runs direct")
    }
    for name in ["narrow", "light", "wide", "partial13"] {
      XCTAssertFalse(body(name).contains("let packed = UnsafePointer(weights"), "\(name) keeps the GEMM")
    }
  }

  /// Packed panels under 1.08 MB of weights (300 -> 900 channels): the threads split the copy,
  /// then the weight blocks, so each weight is read once.
  func testWeightHeavyPackedLayerSplitsBlocks() throws {
    let source = try checkThreadsAndInterpreter("""
      network HeavyPacked
      input 12x12x300
      big: conv 900 1x1 | relu
      """, type: "HeavyPacked", generatedFor: "znver4")
    XCTAssertTrue(source.contains("let packedEnd = min(endPanel, 1)"), "big packs its full panel")
    XCTAssertFalse(source.contains("each thread packs its share of the chunk"), "blocks are split")
    XCTAssertTrue(source.contains("Self.parallelParts(225,"), "225 blocks of 4 channels between threads")
  }

  /// `checkThreadsAndInterpreter` on AVX2 code (16 registers, 8 lanes): `haswell` runs on
  /// every x86-64 host these tests run on; on other hosts the test is skipped.
  func checkThreadsAndInterpreterOnAVX2(_ spec: String, type: String) throws -> String {
    #if arch(x86_64)
    return try checkThreadsAndInterpreter(spec, type: type, generatedFor: "haswell")
    #else
    throw XCTSkip("AVX2 code runs only on an x86-64 host")
    #endif
  }

  /// The body of the generated step function `name` in `source` (up to its closing brace), or
  /// "" when there is none.
  static func stepBody(_ name: String, in source: String) -> String {
    guard let start = source.range(of: "private func \(name)(") else { return "" }
    let rest = source[start.upperBound...]
    return String(rest[..<(rest.range(of: "\n  }\n")?.lowerBound ?? rest.endIndex)])
  }

  /// The driver of `checkThreadsAndInterpreter`: the forward pass at 1, 2 and 3 threads (and
  /// one model switched to 2 and 3) must be bit-identical; writes the 1-thread output.
  static func threadsDriver(_ type: String) -> String {
    """
      import Foundation

      @main
      struct Driver {
        static func main() throws {
          let data = try Data(contentsOf: URL(fileURLWithPath: "in.bin"))
          let input = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
          let one = try \(type)(weights: URL(fileURLWithPath: "w.safetensors"), threads: 1)
          let two = try \(type)(weights: URL(fileURLWithPath: "w.safetensors"), threads: 2)
          let three = try \(type)(weights: URL(fileURLWithPath: "w.safetensors"), threads: 3)
          let a = one.forward(input)
          let b = two.forward(input)
          let d = three.forward(input)
          one.threads = 2
          let c = one.forward(input)
          one.threads = 3
          let e = one.forward(input)
          print(a == b && a == c && a == d && a == e ? "identical" : "different")
          var output = Data()
          a.withUnsafeBufferPointer { output.append($0) }
          try output.write(to: URL(fileURLWithPath: "out.bin"))
        }
      }

      """
  }

  /// Prefetches the build of `checkThreadsAndInterpreter(spec, type:, generatedFor:)`.
  static func prefetchThreadsAndInterpreter(_ spec: String, type: String, generatedFor target: String? = nil) {
    GeneratedModelRunner.prefetchDriven(spec, driver: threadsDriver(type), flags: ["-warnings-as-errors"],
                                        generatedFor: target)
  }

  /// Generates `spec`, runs it with 1, 2 and 3 threads (bit-identical; the third thread takes
  /// the steps' work memory out of the arena, which is planned for two) and against the
  /// interpreter; returns the generated source.
  @discardableResult
  func checkThreadsAndInterpreter(_ spec: String, type: String, generatedFor target: String? = nil) throws -> String {
    let driver = Self.threadsDriver(type)
    var source = ""
    try GeneratedModelRunner.withDrivenModel(spec, driver: driver, flags: ["-warnings-as-errors"],
                                             generatedFor: target) { model in
      source = model.source
      XCTAssertEqual(model.build.status, 0, String(model.build.output.prefix(4000)))
      guard model.build.status == 0 else { return }
      let input = SafetensorsWriter.values(model.network.network.input.elementCount!, seed: 7, scale: 2)
      try GeneratedModelRunner.writeFloats(input, to: model.directory.appendingPathComponent("in.bin").path)
      let run = try GeneratedModelRunner.execute(model.binary, [], in: model.directory)
      XCTAssertEqual(run.status, 0, run.output)
      XCTAssertEqual(run.output.trimmingCharacters(in: .whitespacesAndNewlines), "identical")

      let data = try Data(contentsOf: model.directory.appendingPathComponent("out.bin"))
      let actual = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      let expected = ReferenceInterpreter(checked: model.network, tensors: model.tensors).run(input)[0]
      XCTAssertEqual(actual.count, expected.count)
      let scale = max(1, expected.map(abs).max() ?? 0)
      let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThanOrEqual(error, 1e-4 * scale, "max abs error \(error) (scale \(scale))")
    }
    return source
  }

  /// Each intermediate layer checked on its own: outputs of every kernel path.
  func testEveryLayerAgreesWithInterpreter() throws {
    try checkEveryLayer(Self.spec, outputs: Self.everyLayerOutputs)
  }

  static let everyLayerOutputs = "output @h, @a, @b, @c, @dw0, @g, @d, @dw1, @dw2, @e, @dw3, @f, @fc1\n"
  static let rowRunOutputs = "output @n1, @m1, @n2\n"
  static let everyIm2colLayerOutputs = "output @i1, @r1, @i2, @r2, @i3, @r3, @i4, @r4, @gr, @wide, @big, @fcbig, @fc1\n"

  func testEveryIm2colLayerAgreesWithInterpreter() throws {
    try checkEveryLayer(Self.im2colSpec, outputs: Self.everyIm2colLayerOutputs)
  }

  func checkEveryLayer(_ spec: String, outputs: String) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-kernels-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let specPath = directory.appendingPathComponent("kernels.cnn").path
    try (spec + outputs).write(toFile: specPath, atomically: true, encoding: .utf8)
    let (_, network) = try GeneratedModelRunner.compilation(specPath)
    let (entries, tensors) = SafetensorsWriter.weights(for: network)
    let weightsPath = directory.appendingPathComponent("w.safetensors").path
    try SafetensorsWriter.data(entries).write(to: URL(fileURLWithPath: weightsPath))
    let input = SafetensorsWriter.values(network.network.input.elementCount!, seed: 5, scale: 2)
    let inputPath = directory.appendingPathComponent("in.bin").path
    try GeneratedModelRunner.writeFloats(input, to: inputPath)
    let actual = try GeneratedModelRunner.run(specPath: specPath, weightsPath: weightsPath, inputPath: inputPath).get()
    let expected = ReferenceInterpreter(checked: network, tensors: tensors).run(input)
    XCTAssertEqual(actual.count, expected.count)
    for (index, (values, reference)) in zip(actual, expected).enumerated() {
      let name = network.layers[network.network.outputs[index]].name
      let scale = max(1, reference.map(abs).max() ?? 0)
      let error = zip(values, reference).map { abs($0 - $1) }.max() ?? 0
      XCTAssertEqual(values.count, reference.count, name)
      XCTAssertLessThanOrEqual(error, 1e-4 * scale, "\(name): max abs error \(error) (scale \(scale))")
    }
  }

  /// `--target-cpu generic`: portable SIMD4 code with no FMA (no `fmaf` cliff without flags); the
  /// header states the flags; the default is the host.
  func testGenericTargetHasNoFusedMultiplyAdd() throws {
    let compilation = Compilation(name: "t.cnn", text: Self.spec)
    let network = try XCTUnwrap(compilation.network)
    let generic = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc t.cnn",
                                          targetCPU: "generic")
    XCTAssertFalse(generic.contains("addingProduct"))
    XCTAssertTrue(generic.contains("SIMD4<Float>"))
    XCTAssertTrue(generic.contains("// Build flags: swiftc -O -parse-as-library (portable"))
    let fast = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc t.cnn",
                                       targetCPU: "znver4")
    XCTAssertTrue(fast.contains("#if CNNC_FMA || arch(arm64)\n"))
    XCTAssertTrue(fast.contains("// Build flags: swiftc -O -target-cpu znver4 -D CNNC_FMA -parse-as-library"))
    XCTAssertFalse(SwiftGenerator.hasFMA(targetCPU: "generic"))
    XCTAssertFalse(SwiftGenerator.hasFMA(targetCPU: "x86-64"))
    XCTAssertTrue(SwiftGenerator.hasFMA(targetCPU: "haswell"))
    XCTAssertTrue(SwiftGenerator.hasFMA(targetCPU: "apple-m1"))
    // Loads ahead in big fc weight streams on Intel targets, not on AMD Zen (measured there).
    let big = Compilation(name: "fc.cnn", text: "network BigFC\ninput 1x1x4096\nfc 1024\n")
    let bigNetwork = try XCTUnwrap(big.network)
    for (cpu, touches) in [("skylake-avx512", true), ("haswell", true), ("znver4", false), ("znver2", false)] {
      XCTAssertEqual(SwiftGenerator.touchesAhead(targetCPU: cpu), touches, cpu)
      let source = SwiftGenerator.generate(bigNetwork, source: big.source, commandLine: "cnnc fc.cnn", targetCPU: cpu)
      XCTAssertEqual(source.contains("sink += ahead["), touches, cpu)
    }
    let host = SwiftGenerator.hostCPU()
    let byDefault = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc t.cnn",
                                            targetCPU: nil)
    XCTAssertTrue(byDefault.contains("(--target-cpu \(host))"))
  }
  /// The cliff of codegen-notes pitfall 1, on the machine code: the host-target file built with
  /// no flag at all must not call scalar `fmaf` (it multiplies then adds); built with the
  /// header's flags (`-target-cpu` and `-D CNNC_FMA`) its multiply-adds are fused instructions.
  func testBuildWithoutFlagsDoesNotCallFmaf() throws {
    guard let swiftc = GeneratedModelRunner.swiftc else { throw XCTSkip("swiftc not found") }
    #if !arch(x86_64)
      throw XCTSkip("the fmaf cliff is an x86-64 matter")
    #else
      let compilation = Compilation(name: "t.cnn", text: Self.spec)
      let network = try XCTUnwrap(compilation.network)
      let source = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc t.cnn",
                                           targetCPU: "skylake-avx512")
      let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("cnnc-cliff-\(getpid())-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: directory) }
      try source.write(to: directory.appendingPathComponent("Model.swift"), atomically: true, encoding: .utf8)
      func assembly(_ flags: [String]) throws -> String {
        let result = try GeneratedModelRunner.execute(
          swiftc, ["-O", "-parse-as-library", "-emit-assembly", "Model.swift", "-o", "Model.s"] + flags,
          in: directory)
        XCTAssertEqual(result.status, 0, result.output)
        return try String(contentsOf: directory.appendingPathComponent("Model.s"), encoding: .utf8)
      }
      let plain = try assembly([])
      XCTAssertFalse(plain.contains("fmaf"), "built without flags, the kernels call scalar fmaf")
      XCTAssertTrue(plain.contains("mulps"), "built without flags, the kernels should multiply with SSE")
      let tuned = try assembly(["-target-cpu", "skylake-avx512", "-D", "CNNC_FMA"])
      XCTAssertFalse(tuned.contains("fmaf"))
      XCTAssertTrue(tuned.contains("vfmadd"), "built with the header's flags, multiply-adds should be fused")
    #endif
  }

}
