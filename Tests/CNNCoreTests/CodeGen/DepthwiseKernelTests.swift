import CNNCore
import Foundation
import XCTest

/// The polyphase depthwise kernel (`Convolution+Depthwise.swift`) against the naive interpreter:
/// row blocks stored straight into the output (`k7`, `s2odd`, `s1big`, `ceil2`, `s2x1`: widths
/// that are not a whole number of vectors, heights not a whole number of blocks, 7x7 in blocks of
/// 2 rows), the strip kernel for narrow planes and unclamped followers;
/// stride 2 on odd and even sizes (both pad parities), planes narrower than a vector,
/// 5x5 and 7x7 kernels, asymmetric padding, dilation, `ceil`, `conv` with groups == channels, a
/// plane big enough to be cut into strips, stride 3 (the axpy-row kernel), fused followers the
/// vector loop clamps (relu, relu6) and ones it cannot (leakyrelu, bn, softmax pass); and
/// `threads = 2` bit-identical to `threads = 1`.
final class DepthwiseKernelTests: XCTestCase {
  /// The builds of this class's specs in the background, the last test's first
  /// (`ConvolutionKernelTests.setUp`).
  override class func setUp() {
    super.setUp()
    #if arch(x86_64)
    for rows in rowsSpecs.reversed() {
      ConvolutionKernelTests.prefetchThreadsAndInterpreter(rows, type: "DepthwiseRows", generatedFor: "haswell")
    }
    #endif
    ConvolutionKernelTests.prefetchThreadsAndInterpreter(spec, type: "DepthwisePaths")
    GeneratedModelRunner.prefetchEveryLayer(flatSpec, outputs: flatOutputs)
    ConvolutionKernelTests.prefetchThreadsAndInterpreter(flatSpec, type: "DepthwiseFlat", generatedFor: "znver4")
    GeneratedModelRunner.prefetchEveryLayer(spec, outputs: outputs)
    GeneratedModelRunner.prefetchEveryLayer(rowsSpecs[1], outputs: rowsOutputs[1])
    ConvolutionKernelTests.prefetchThreadsAndInterpreter(rowsSpecs[1], type: "DepthwiseRows", generatedFor: "znver4")
    GeneratedModelRunner.prefetchEveryLayer(rowsSpecs[0], outputs: rowsOutputs[0])
  }

  static let spec = """
    network DepthwisePaths
    input 75x69x24
    k7: dwconv 7x7 p3 | relu6
    s2odd: dwconv 3x3 s2 p1 | relu6
    s1big: dwconv 5x5 p2 | relu
    ceil2: dwconv 3x3 s2 ceil
    asym: dwconv 5x5 s2 pad=2,1,1,2 floor | leakyrelu 0.1
    s1: dwconv 3x3 d2 p2 | bn
    s2x1: conv 24 3x3 g24 s2 p1 | relu
    s2even: dwconv 3x3 s2 pad=0,1,0,1 floor
    tiny: dwconv 3x3 p1 | relu
    s3: dwconv 3x3 s3 p1
    soft: dwconv 1x1 | softmax

    """

  static let rowsOutputs = ["output @nopad, @dil, @ceilr, @odd, @one, @both\n", "output @asym5, @pair, @s2p0\n"]
  static let flatOutputs = "output @a, @b, @c, @d\n"

  static let outputs = "output @k7, @s2odd, @s1big, @ceil2, @asym, @s1, @s2x1, @s2even, @tiny, @s3, @soft\n"

  /// The build-and-compare helpers of `ConvolutionKernelTests` (their assertions are recorded
  /// against the running test).
  var helpers: ConvolutionKernelTests {
    ConvolutionKernelTests(name: "depthwise helpers", testClosure: { _ in })
  }

  func testPathsAgreeWithInterpreterAndThreadsAreIdentical() throws {
    let source = try helpers.checkThreadsAndInterpreter(Self.spec, type: "DepthwisePaths")
    XCTAssertTrue(source.contains("for strip in 0..<"), "narrow or unclamped layers use strips")
    XCTAssertTrue(source.contains("for rowBlock in 0..<"), "wide clamped layers use row blocks")
    XCTAssertTrue(source.contains("(lowHalf: a.evenHalf, highHalf: b.evenHalf)"),
                  "stride 2 on a plane that fits L1 splits the columns with two-vector permutes")
    XCTAssertTrue(source.contains(".evenHalf"), "stride 2 splits the plane into phases")
    XCTAssertTrue(source.contains("Self.parallelParts("), "the big layers are threaded")
  }

  func testEveryLayerAgreesWithInterpreter() throws {
    try helpers.checkEveryLayer(Self.spec, outputs: Self.outputs)
  }

  /// The direct row kernel (`Convolution+DepthwiseRows.swift`): no padding (no masks, no
  /// row-block planes), dilation, stride 2 with `ceil` (masks on the right), stride 2 on an odd
  /// width, `conv` with groups == channels, an output exactly one vector wide (both masks on one
  /// vector), a middle loop of column vectors; then 5x5 stride 2 with asymmetric padding, two
  /// channels (both are boundary planes, which take the row-block kernel), and 3x3 stride 2
  /// unpadded on three channels. Stride-2 taps whose pair of loads would be half used are the
  /// neighbour column's vector one lane over (`StridedTap`): `ceilr`, `odd` and `asym5` take
  /// their `2·ox − 1` column up from `2·ox + 1`, `s2p0` its `2·ox + 2` column down from `2·ox`.
  static let rowsSpecs = [
    """
    network DepthwiseRows
    input 37x70x5
    nopad: dwconv 3x3 | relu
    dil: dwconv 3x3 d2 p2 | relu6
    ceilr: dwconv 3x3 s2 p1 ceil | relu
    odd: dwconv 3x3 s2 p1 | relu
    one: conv 5 3x3 g5 | relu
    both: dwconv 3x3 p1 | relu6

    """,
    """
    network DepthwiseRows
    input 37x70x5
    asym5: dwconv 5x5 s2 pad=2,1,1,2 floor | relu6
    two: conv 2 1x1 | relu
    pair: dwconv 3x3 p1 | relu
    three: conv 3 1x1 | relu
    s2p0: dwconv 3x3 s2 floor | relu

    """,
  ]

  /// Generated for `znver4` (16 lanes, the shapes asserted) whatever the host; `checkEveryLayer`
  /// runs the host's own target.
  func testDirectRowsAgreeWithInterpreterAndThreadsAreIdentical() throws {
    let source = try helpers.checkThreadsAndInterpreter(Self.rowsSpecs[0], type: "DepthwiseRows", generatedFor: "znver4")
    XCTAssertTrue(source.contains("for chunk in 1..<"), "wide planes loop over middle vectors")
    XCTAssertTrue(source.contains(".replacing(with: zero, where: high"), "right padding is masked")
    XCTAssertTrue(source.contains("if c == 0 || c == "), "boundary planes take the row blocks")
    try helpers.checkEveryLayer(Self.rowsSpecs[0], outputs: Self.rowsOutputs[0])
    XCTAssertTrue(source.contains("SIMD16<Float>(r0[q &- 1], u0_2[0], u0_2[1]"), "a column shifted up")
    let second = try helpers.checkThreadsAndInterpreter(Self.rowsSpecs[1], type: "DepthwiseRows", generatedFor: "znver4")
    XCTAssertTrue(second.contains("u0_0[14], u0_0[15], r0[q &+ 32])"), "a column shifted down")
    try helpers.checkEveryLayer(Self.rowsSpecs[1], outputs: Self.rowsOutputs[1])
  }

  /// AVX2 (no two-source permute): a shifted stride-2 column is its source rotated by one lane
  /// and the one new value blended in (`low1` / `high1`), not a vector built lane by lane
  /// (which LLVM turned into scalar loads and inserts). Against the interpreter, 1-3 threads.
  func testShiftedColumnsRotateOnSixteenRegisters() throws {
    let first = try helpers.checkThreadsAndInterpreterOnAVX2(Self.rowsSpecs[0], type: "DepthwiseRows")
    XCTAssertTrue(first.contains("SIMD8<Float>(u0_2[7], u0_2[0], u0_2[1], u0_2[2], u0_2[3], u0_2[4], u0_2[5], u0_2[6]).replacing(with: SIMD8<Float>(repeating: r0[q &- 1]), where: low1)"), "a column shifted up")
    let second = try helpers.checkThreadsAndInterpreterOnAVX2(Self.rowsSpecs[1], type: "DepthwiseRows")
    XCTAssertTrue(second.contains("SIMD8<Float>(u0_0[1], u0_0[2], u0_0[3], u0_0[4], u0_0[5], u0_0[6], u0_0[7], u0_0[0]).replacing(with: SIMD8<Float>(repeating: r0[q &+ 16]), where: high1)"), "a column shifted down")
    XCTAssertTrue(second.contains("let high1 = lane .>= SIMD8<Float>(repeating: 7)"), "its mask")
  }

  /// The flat kernel for small stride-1 planes (`Convolution+DepthwiseFlat.swift`): 3x3 on 7x7
  /// (vectors spanning rows and, at the plane's ends, planes), dilation, 5x5 on 8x8 with relu6;
  /// the first and last channels take the strips.
  static let flatSpec = """
    network DepthwiseFlat
    input 7x7x6
    a: dwconv 3x3 p1 | relu
    b: dwconv 3x3 d2 p2 | relu6
    c: conv 6 3x3 g6 p1 | relu
    up: conv 6 2x2 p1 | relu
    d: dwconv 5x5 p2 | relu6

    """

  /// Generated for `znver4` (7x7 at 16 lanes) whatever the host; `checkEveryLayer` runs the
  /// host's own target.
  func testFlatPlanesAgreeWithInterpreterAndThreadsAreIdentical() throws {
    let source = try helpers.checkThreadsAndInterpreter(Self.flatSpec, type: "DepthwiseFlat", generatedFor: "znver4")
    // Every vector's accumulator at once (7x7 at 16 lanes: 4 vectors), tap by tap; the centre
    // tap reads inside the plane in every lane of the first vector and loads no mask.
    XCTAssertTrue(source.contains("var acc3 = bias"), "small planes use the flat kernel, vectors interleaved")
    XCTAssertNotNil(source.range(of: #"let q0_4 = unsafeBitCast\(UnsafeRawPointer\(p \+ 0\)\.loadUnaligned\(as: SIMD\d+<UInt32>\.self\), to:"#,
                                 options: .regularExpression), "an all-inside tap loads no mask")
    XCTAssertNotNil(source.range(of: #"let q0_0 = unsafeBitCast\(UnsafeRawPointer\(p - 8\)\.loadUnaligned\(as: SIMD\d+<UInt32>\.self\) & UnsafeRawPointer\(masks \+ 0\)"#,
                                 options: .regularExpression), "a tap reading the padding is masked")
    try helpers.checkEveryLayer(Self.flatSpec, outputs: Self.flatOutputs)
  }
}
