import CNNCore
import Foundation
import XCTest

/// The MTCNN nets with facenet-pytorch's shipped (trained) weights on a real face image
/// (`Tests/Fixtures/mtcnn/`, made by `Tools/convert_mtcnn_weights.py`): the generated Swift must
/// agree with facenet-pytorch's own outputs (max abs error <= 1e-4 * max(1, max |expected|)) and
/// find the face (probability > 0.99).
final class MTCNNRealWeightsTests: XCTestCase {
  /// The later tests' builds in the background, the last test's first, while `testONet`
  /// builds its own (`GeneratedModelRunner.prefetch`).
  override class func setUp() {
    super.setUp()
    for net in ["rnet", "pnet"] {
      if let fixture = try? fixture(net) { GeneratedModelRunner.prefetchSpec(fixture.specPath) }
    }
  }

  /// The net's fixture directory, made by `Tools/convert_mtcnn_weights.py`.
  static func fixture(_ net: String) throws -> PyTorchFixture {
    try PyTorchFixture(Golden.url("Tests/Fixtures/mtcnn/\(net)"))
  }

  func check(_ net: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let fixture = try Self.fixture(net)
    XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.weightsURL.path),
                  "\(net): missing weights \(fixture.weightsURL.path)", file: file, line: line)
    let outputs = try fixture.check(file: file, line: line)
    // The face classifier is the 2-way softmax output: [not face, face].
    let shapes = fixture.meta["outputs"] as? [[Int]] ?? []
    guard let index = shapes.firstIndex(where: { $0.reduce(1, *) == 2 }), index < outputs.count else {
      return XCTFail("\(net): no 2-way probability output among \(shapes)", file: file, line: line)
    }
    let probability = outputs[index][1]
    let expected = try fixture.expected(index)[1]
    if let recorded = fixture.meta["faceProbability"] as? Double {
      XCTAssertEqual(Double(expected), recorded, accuracy: 1e-6, "\(net): fixture inconsistent", file: file, line: line)
    }
    XCTAssertGreaterThan(probability, 0.99, "\(net): face probability \(probability)", file: file, line: line)
    XCTAssertEqual(outputs[index][0] + outputs[index][1], 1, accuracy: 1e-5, file: file, line: line)
    print("mtcnn real weights \(net): face probability \(probability) (facenet-pytorch \(expected))")
  }

  func testPNet() throws { try check("pnet") }
  func testRNet() throws { try check("rnet") }
  func testONet() throws { try check("onet") }
}
