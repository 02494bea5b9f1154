import CNNCore
import XCTest

/// The cost model against hand-worked figures: AlexNet from the paper, peak memory on a small
/// branching net, overflow as a diagnostic.
final class ReportTests: XCTestCase {
  /// AlexNet as in Krizhevsky et al. 2012 at 227x227x3, the paper's LRN (k=2).
  static let alexNet = """
    network AlexNet
    input 227x227x3
    conv1: conv 96 11x11 s4 | relu | lrn 5 alpha=1e-4 beta=0.75 k=2 | maxpool 3 s2
    conv2: conv 256 5x5 p2 g2 | relu | lrn 5 alpha=1e-4 beta=0.75 k=2 | maxpool 3 s2
    conv3: conv 384 3x3 p1 | relu
    conv4: conv 384 3x3 p1 g2 | relu
    conv5: conv 256 3x3 p1 g2 | relu | maxpool 3 s2
    flatten
    fc6: fc 4096 | relu | dropout 0.5
    fc7: fc 4096 | relu | dropout 0.5
    fc8: fc 1000 | softmax
    """

  static func report(_ text: String, name: String = "test.cnn") throws -> Report {
    let compilation = Compilation(name: name, text: text)
    let checked = try XCTUnwrap(compilation.network, "\(compilation.diagnostics)")
    return try Report.make(checked, source: compilation.source)
  }

  func entry(_ report: Report, _ name: String) throws -> Report.Entry {
    try XCTUnwrap(report.entries.first { $0.name == name }, "no layer '\(name)'")
  }

  func testAlexNetPerLayerFiguresMatchThePaper() throws {
    let report = try Self.report(Self.alexNet)
    let expected: [(String, Int, Shape)] = [
      ("conv1", 34_944, Shape(55, 55, 96)), ("conv2", 307_456, Shape(27, 27, 256)),
      ("conv3", 885_120, Shape(13, 13, 384)), ("conv4", 663_936, Shape(13, 13, 384)),
      ("conv5", 442_624, Shape(13, 13, 256)), ("fc6", 37_752_832, .flat(4096)),
      ("fc7", 16_781_312, .flat(4096)), ("fc8", 4_097_000, .flat(1000)),
    ]
    for (name, params, shape) in expected {
      let layer = try entry(report, name)
      XCTAssertEqual(layer.cost.params, params, name)
      XCTAssertEqual(layer.output, shape, name)
    }
    XCTAssertEqual(try entry(report, "conv1").cost.macs, 105_415_200)
    XCTAssertEqual(try entry(report, "maxpool1").output, Shape(27, 27, 96))
    XCTAssertEqual(try entry(report, "maxpool3").output, Shape(6, 6, 256))
    XCTAssertEqual(try entry(report, "conv1").cost.receptiveField, Dims(11, 11))
    XCTAssertEqual(try entry(report, "conv1").cost.jump, Dims(4, 4))
    // 11 + (3-1)*4 = 19 after the first pool, then + (5-1)*8 = 51 after conv2.
    XCTAssertEqual(try entry(report, "maxpool1").cost.receptiveField, Dims(19, 19))
    XCTAssertEqual(try entry(report, "conv2").cost.receptiveField, Dims(51, 51))
  }

  func testAlexNetTotals() throws {
    let totals = try Self.report(Self.alexNet).totals
    XCTAssertEqual(totals.params, 60_965_224)
    XCTAssertEqual(totals.trainableParams, 60_965_224)
    XCTAssertEqual(totals.macs, 724_406_816)
    XCTAssertEqual(totals.buffers, 0)
    XCTAssertEqual(totals.weightBytes, 243_860_896)
  }

  /// Input 4x4x1 (64 B); `a` 128 B is read by the conv branch and by `identity`. The identity is
  /// a view of `a` (no memory of its own) and the add runs in place over the conv output, so at
  /// most `a` and the conv output (2 x 128 B) are alive; the input died after `a`.
  func testPeakActivationOnABranchingNet() throws {
    let report = try Self.report("""
      input 4x4x1
      a: conv 2 1x1
      add {
        conv 2 1x1
        identity
      }
      """)
    XCTAssertEqual(report.totals.activationBytes, 4 * 128)
    XCTAssertEqual(report.totals.peakActivationBytes, 256)
  }

  /// A tensor read late stays alive: the input (64 B) is read by the last layer.
  func testPeakActivationKeepsLongSkipsAlive() throws {
    let report = try Self.report("""
      input 4x4x1
      x: conv 1 1x1 | y: conv 1 1x1 | z: conv 1 1x1
      add {
        @x
        @z
      }
      """)
    // While z runs: x (kept for add), y, z = 3 x 64 B; while add runs: x, z, add = 192 B.
    XCTAssertEqual(report.totals.peakActivationBytes, 192)
  }

  func testConstantWeightsAreNotTrainableAndHaveNoImplicitBias() throws {
    let report = try Self.report("""
      input 8x8x1
      edge: conv 1 1x3 pad=same weights=[1, 0, -1]
      blur: conv 1 1x1 weights=[1] bias=[0.5]
      """)
    XCTAssertEqual(try entry(report, "edge").cost.params, 3)
    XCTAssertEqual(try entry(report, "blur").cost.params, 2)
    XCTAssertEqual(report.totals.params, 5)
    XCTAssertEqual(report.totals.trainableParams, 0)
  }

  func testBatchNormBuffersAndElementOps() throws {
    let report = try Self.report("input 2x2x3\nbn | relu | softmax\n")
    XCTAssertEqual(report.totals.params, 6)
    XCTAssertEqual(report.totals.buffers, 6)
    XCTAssertEqual(report.totals.weightBytes, 48)
    XCTAssertEqual(report.entries.map(\.cost.elementOps), [24, 12, 36])
  }

  func testAdaptivePoolingReadsEveryBin() throws {
    // 5 -> 3 bins of 2, 3, 2 rows: 7 reads per axis.
    let report = try Self.report("input 5x5x2\nadaptiveavgpool 3x3\n")
    XCTAssertEqual(report.entries[0].cost.elementOps, 7 * 7 * 2)
  }

  func testOverflowingParameterCountIsADiagnostic() {
    let compilation = Compilation(name: "big.cnn", text: "input 1x1x4000000000\nfc 4000000000\n")
    guard let checked = compilation.network else { return XCTFail("\(compilation.diagnostics)") }
    XCTAssertThrowsError(try Report.make(checked, source: compilation.source)) { error in
      XCTAssertEqual((error as? ReportFailure)?.diagnostic.id, .sizeOverflow)
    }
  }
}
