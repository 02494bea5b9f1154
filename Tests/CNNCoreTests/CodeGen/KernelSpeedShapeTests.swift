import CNNCore
import Foundation
import XCTest

/// The shapes the fast kernels special-case (Pooling, Elementwise, Shaping, Deconvolution):
/// widths with and without a SIMD tail, clipped border columns, `ceil` overhang, padding counted
/// or not, stride 1 and 2, rectangular windows, copies fused with element-wise layers. Numerics
/// only, against the Double interpreter (no timing asserts); `MemoryPlanTests.checkNumerics`
/// compiles and runs each spec.
final class KernelSpeedShapeTests: XCTestCase {
  func check(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try MemoryPlanTests.checkNumerics(text, file: file, line: line)
  }

  /// 20x38: two 16-lane chunks and a tail, or four 8-lane chunks and a tail; odd sizes after
  /// `ceil` overhang the input.
  func testWindowedPooling() throws {
    try check("""
      network Pools
      input 20x38x3
      a: conv 5 1x1
      m1: maxpool 3 s2 ceil
      @a | m2: maxpool 3 s2 p1 ceil
      @a | m3: maxpool 3 s1 p1 ceil
      @a | m4: maxpool 2 s2 ceil | relu
      @a | m5: maxpool 3x2 stride=2x1 pad=1x0 floor
      @a | a1: avgpool 2 floor
      @a | a2: avgpool 3 s2 p1 ceil
      @a | a3: avgpool 3 s2 p1 ceil count_include_pad=false
      @a | a4: avgpool 5 s1 p2 count_include_pad=false | sigmoid
      @a | a5: avgpool 3 s1 p1
      @a | a6: avgpool 19x20 s1
      output @m1, @m2, @m3, @m4, @m5, @a1, @a2, @a3, @a4, @a5, @a6
      """)
  }

  /// Global pools over planes with and without a SIMD tail; adaptive 1x1 takes the global path.
  func testGlobalPooling() throws {
    try check("""
      network Globals
      input 9x9x4
      a: conv 6 1x1
      g1: gap
      @a | g2: gmp
      @a | g3: adaptiveavgpool 1x1
      @a | maxpool 2 ceil | g4: gap
      @a | maxpool 2 floor | g5: gmp | relu
      output @g1, @g2, @g3, @g4, @g5
      """)
  }

  /// Local response norm: the unrolled window (channels whose window lies inside the tensor) and
  /// the clipped one at both ends, odd and even sizes, `beta = 0.75` (square roots) and another
  /// (`pow`), a fused follower.
  func testLocalResponseNorm() throws {
    try check("""
      network Norms
      input 9x11x7
      a: conv 12 3x3 p1
      l1: lrn 5 alpha=1e-2 beta=0.75 k=2
      @a | l2: lrn 4 alpha=0.3 beta=0.6 k=1 | relu
      output @l1, @l2
      """)
  }

  /// Element-wise layers whose input has other readers: one fused copy pass (DenseNet's `bn`).
  func testElementwiseCopies() throws {
    try check("""
      network Copies
      input 7x21x3
      a: conv 6 1x1
      b1: bn | relu
      @a | b2: relu6
      @a | b3: leakyrelu 0.2
      @a | b4: prelu | elu
      @a | b5: hswish | tanh
      @a | b6: swish | hsigmoid
      @a | b7: softmax
      output @b1, @b2, @b3, @b4, @b5, @b6, @b7, @a
      """)
  }
}
