@testable import CNNCore
import Foundation
import XCTest

/// The Winograd F(2x2, 3x3) path (`Convolution+Winograd.swift`) against the naive interpreter:
/// odd and even output sizes (partial 2x2 tiles at the bottom and right), tile rows that are a
/// whole number of vectors or end with an overlapping one (16-, 8- and 4-tile vectors), blocks of
/// one tile row and of all rows, output channels that are not a whole number of register tiles
/// (72, 66), products kept per thread in groups of blocks (`wide`, 35 blocks: groups of 9 and a
/// partial one) or in scratch (`f`: 1,024 input channels), an overlapping last block of tile rows,
/// asymmetric and no padding, a folded batch norm, fused
/// followers (relu, relu6, leakyrelu) and a pass follower (softmax); and `threads = 2`
/// bit-identical to `threads = 1`. (`fc1`'s 27.6 M weights make the memory budget cover every 3x3
/// layer.) And which layers of real networks the budget gives the Winograd kernel.
final class WinogradKernelTests: XCTestCase {
  /// The paths test's build in the background while the first test builds its own
  /// (`ConvolutionKernelTests.setUp`).
  override class func setUp() {
    super.setUp()
    ConvolutionKernelTests.prefetchThreadsAndInterpreter(spec, type: "WinogradPaths", generatedFor: "znver4")
  }

  static let spec = """
    network WinogradPaths
    input 37x35x32
    a: conv 64 3x3 p1 | relu
    b: conv 72 3x3 | bn | relu6
    c: conv 66 3x3 pad=2,0,1,1 | leakyrelu 0.1
    d: conv 64 3x3 p1 bias=false
    big: conv 96 3x3 p1 | relu
    p1: maxpool 2 s2 floor
    e: conv 64 3x3 p1 | softmax
    wide: conv 420 3x3 p1 | relu
    p2: maxpool 2 s2 floor
    deep: conv 1024 1x1 | relu
    f: conv 64 3x3 p1
    fc1: fc 6000

    """

  static let outputs = "output @a, @b, @c, @d, @big, @e, @wide, @f, @fc1\n"

  /// The build-and-compare helpers of `ConvolutionKernelTests`.
  var helpers: ConvolutionKernelTests {
    ConvolutionKernelTests(name: "winograd helpers", testClosure: { _ in })
  }

  /// Generated for `znver4` (AVX-512's panels and work sizes, asserted below) whatever the
  /// host, as are the other structural tests here; `testEveryLayerAgreesWithInterpreter` runs
  /// the host's own target.
  func testPathsAgreeWithInterpreterAndThreadsAreIdentical() throws {
    let source = try helpers.checkThreadsAndInterpreter(Self.spec, type: "WinogradPaths", generatedFor: "znver4")
    XCTAssertEqual(source.components(separatedBy: "// Winograd F(2x2, 3x3): ").count - 1, 8,
                   "every 3x3 layer takes the Winograd path")
    // wide: 35 blocks of 12 channels, 9 blocks' products (55 KB each) in a thread's work buffer
    // at a time (groups of 9, 9, 9, 8 at one thread; 9 + 8 and 9 + 9 at two).
    XCTAssertNotNil(source.range(of: #"start: scratch \+ \(\d+ &\+ part &\* \d+\), count: 124416\)"#, options: .regularExpression), "wide's products per thread")
    XCTAssertTrue(source.contains("for groupStart in stride(from: first, to: end, by: 9)"), "wide's blocks in groups of 9")
    // f: 1,024 input channels make its transformed input 1.3 MB, past L2: products in scratch.
    XCTAssertTrue(source.contains("let productBuffer = transformed + 327680"), "f's products in scratch")
    XCTAssertTrue(source.contains("2 block(s) of 9 tile row(s)"), "big transforms half its tile rows at a time")
    XCTAssertTrue(source.contains("1 block(s) of 19 tile row(s)"), "a transforms all its tile rows at once")
    for lanes in [16, 8, 4] {
      XCTAssertTrue(source.contains("let d00 = SIMD\(lanes)<Float>(a0[0], a0[2]"), "\(lanes)-tile vectors")
    }
    XCTAssertTrue(source.contains("overlaps the previous vector"))
    XCTAssertTrue(source.contains("Self.parallelFor("), "the big layers are threaded")
    // b, c, d and big: two blocks of 9 tile rows, filters ≤ 1.5 MB: a block per thread, each
    // block's padded rows copied into a window per input channel.
    XCTAssertEqual(source.components(separatedBy: "// each thread: its blocks of tile rows").count - 1, 4, "b, c, d, big own tile rows")
    XCTAssertTrue(source.contains("let paddedRow = firstTileRow &* 2 &+ r"), "their rows go through a window")
    XCTAssertFalse(source.contains("withUnsafeTemporaryAllocation"), "no step allocates")
  }

  /// A plane whose transformed tile row is 400 KB (128 channels x 50 tiles): blocks of 2 tile
  /// rows (`w`; `v` 3), too short for windows (each would re-copy half its rows or more), so
  /// each thread pads the rows of its own blocks into `scratch` first; 3 blocks between 2
  /// threads; odd width and height (a partial last tile row and column). (`fc`'s 1.9 M weights
  /// make the memory budget cover both layers.)
  func testOwnedTileRowsPadTheirRows() throws {
    let source = try helpers.checkThreadsAndInterpreter("""
      network OwnedRows
      input 11x99x128
      w: conv 64 3x3 p1 | relu
      v: conv 64 3x3 p1
      gap
      fc 30000

      """, type: "OwnedRows", generatedFor: "znver4")
    XCTAssertTrue(source.contains("3 block(s) of 2 tile row(s)"), "w: blocks of 2 tile rows")
    XCTAssertTrue(source.contains("2 block(s) of 3 tile row(s)"), "v: blocks of 3 tile rows")
    XCTAssertEqual(source.components(separatedBy: "// each thread pads the rows of its blocks of tile rows").count - 1, 2, "both pad their rows per thread")
    XCTAssertFalse(source.contains("let paddedRow = firstTileRow &* 2 &+ r"), "no windows")
  }

  /// 27 tile rows (SqueezeNet 1.0's 54² expand3x3, with an odd output height here): blocks of 9
  /// would leave two threads 1 and 2; instead 4 blocks of 7 tile rows, the last starting at tile
  /// row 20 and writing only rows 21-26 (the single output row of the last tile row
  /// included); computed as the interpreter computes it, on 1-3 threads bit-identical.
  func testOwnedTileRowsBalancedWithAnOverlappingLastBlock() throws {
    let source = try helpers.checkThreadsAndInterpreter("""
      network BalancedRows
      input 53x54x32
      w: conv 128 3x3 p1 | relu
      gap
      fc 30000

      """, type: "BalancedRows", generatedFor: "znver4")
    XCTAssertTrue(source.contains("// Winograd F(2x2, 3x3): 27x27 tiles, 4 block(s) of 7 tile row(s)"), "balanced blocks")
    XCTAssertTrue(source.contains("let firstTileRow = min(rowBlock &* 7, 20)"), "the last block overlaps")
    XCTAssertTrue(source.contains("let skip = rowBlock == 3 ? 1 : 0"), "and skips the shared tile row")
    XCTAssertTrue(source.contains("7 &- skip, 27, rowBlock == 3, bias[r])"), "its output transform covers the rest")
  }

  /// A network whose speed-first plan misses the memory target (weights + activations 23.6 MB;
  /// conv3's work buffers 2.5 MB for two threads) and whose lean one meets it: the layer runs in
  /// blocks of 4 tile rows (0.46 MB of transformed input) instead of 7 (0.8 MB), one block of
  /// output channels' products at a time (86 KB) instead of three, 0.55 MB per thread in all;
  /// computed as the interpreter computes it, on 1-3 threads bit-identical.
  func testLeanWorkMemoryWhereTheTargetNeedsIt() throws {
    let source = try helpers.checkThreadsAndInterpreter("""
      network LeanWork
      input 56x56x64
      conv3: conv 192 3x3 p1 | relu
      gap
      fc 26000

      """, type: "LeanWork", generatedFor: "znver4")
    XCTAssertTrue(source.contains("// Winograd F(2x2, 3x3): 28x28 tiles, 7 block(s) of 4 tile row(s)"), "lean blocks")
    XCTAssertTrue(source.contains("max(1, 0 &+ parts &* 136784)"), "one thread's work: window, transformed input, one group of products")
  }

  func testEveryLayerAgreesWithInterpreter() throws {
    try helpers.checkEveryLayer(Self.spec, outputs: Self.outputs)
  }

  /// The memory budget on real networks: largest planes first. ResNet-50 (room under the
  /// 10 % target below the 5 % share, so the share): layer1 (56²) and layer2 (28²) plus the first
  /// two stride-1 layer3 blocks (14²); not the rest of layer3, nor layer4 (7², 2.4 M values
  /// each), nor the stride-2 conv2 of layer2_0…layer4_0. ResNet-101 (room 5.8 %): two more
  /// layer3 blocks. VGG-16 (room 6.7 %): every 3x3 layer but conv1_1 (3 input channels) and the
  /// last two 14² ones (conv5_2, conv5_3), whose 1.8 M extra values each no longer fit.
  func testMemoryBudgetPicksLargestPlanes() throws {
    func chosen(_ spec: String) throws -> [String] {
      let (_, network) = try GeneratedModelRunner.compilation(Golden.url("Specs/\(spec).cnn").path)
      let lowered = LoweredNetwork(network)
      return Convolution.winogradLayers(lowered, lanes: 16).sorted().map { network.layers[$0].name }
    }
    XCTAssertEqual(try chosen("resnet50"), [
      "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2",
      "layer2.1.conv2", "layer2.2.conv2", "layer2.3.conv2", "layer3.1.conv2", "layer3.2.conv2",
    ])
    XCTAssertEqual(try chosen("vgg16"), [
      "features.2", "features.5", "features.7", "features.10", "features.12", "features.14",
      "features.17", "features.19", "features.21", "features.24",
    ])
    XCTAssertEqual(try chosen("resnet101"), [
      "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2", "layer2.1.conv2", "layer2.2.conv2",
      "layer2.3.conv2", "layer3.1.conv2", "layer3.2.conv2", "layer3.3.conv2", "layer3.4.conv2",
    ])
  }
}
