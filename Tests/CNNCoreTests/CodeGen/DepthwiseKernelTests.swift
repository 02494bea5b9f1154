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
    XCTAssertTrue(source.contains("Self.parallelFor("), "the big layers are threaded")
  }

  func testEveryLayerAgreesWithInterpreter() throws {
    try helpers.checkEveryLayer(Self.spec, outputs: Self.outputs)
  }
}
