import CNNCore
import Foundation
import XCTest

/// One PyTorch-made fixture directory (`Tools/make_codegen_fixtures.py`,
/// `Tools/convert_mtcnn_weights.py`): `meta.json`, `input.bin`, `output<i>.bin` (raw
/// little-endian f32, C,H,W order) and the weights (`weights.safetensors`, or `meta.weights`
/// relative to the directory). Checking one = generate, compile with `swiftc -O`
/// (`GeneratedModelRunner`, cached), run, compare every output.
struct PyTorchFixture {
  let name: String
  let directory: URL
  let meta: [String: Any]

  init(_ directory: URL) throws {
    self.directory = directory
    self.name = directory.lastPathComponent
    let data = try Data(contentsOf: directory.appendingPathComponent("meta.json"))
    guard let meta = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw GeneratedModelRunner.Failure(description: "\(directory.path)/meta.json is not a JSON object")
    }
    self.meta = meta
  }

  /// The spec, from `meta.spec` (relative to the repository root).
  var specPath: String {
    Golden.url(meta["spec"] as? String ?? "Specs/\(name).cnn").path
  }

  var weightsURL: URL {
    let relative = meta["weights"] as? String ?? "weights.safetensors"
    return directory.appendingPathComponent(relative).standardizedFileURL
  }

  var outputCount: Int { (meta["outputs"] as? [Any])?.count ?? 0 }

  static func floats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  }

  func expected(_ index: Int) throws -> [Float] {
    try Self.floats(directory.appendingPathComponent("output\(index).bin"))
  }

  /// True when the weights file holds no tensors (the fixed filters: every weight is in the
  /// spec), so the model is made with `init()`.
  func weightsFileIsEmpty() throws -> Bool {
    let data = try Data(contentsOf: weightsURL)
    guard data.count >= 8 else { return true }
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    guard data.count >= 8 + length,
      let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any]
    else { return false }
    return header.keys.allSatisfy { $0 == "__metadata__" }
  }

  struct Comparison {
    var maxError: Float
    var maxExpected: Float
    var softmax: Bool
    var argmaxActual: Int
    var argmaxExpected: Int
  }

  /// Runs the generated model on the fixture and checks every output:
  /// max |actual - expected| <= 1e-4 * max(1, max |expected|); for softmax outputs (non-negative,
  /// summing to 1) also the argmax and a tolerance relative to the largest probability
  /// (1e-4 * max |expected|), since the absolute bound is loose when the peak is 0.017.
  /// Prints one line per output with the max abs error.
  @discardableResult
  func check(threads: Int? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [[Float]] {
    let start = Date()
    let constant = try weightsFileIsEmpty()
    let binaryStart = Date()
    _ = try GeneratedModelRunner.binary(specPath: specPath)
    let compileSeconds = Date().timeIntervalSince(binaryStart)
    let input = directory.appendingPathComponent("input.bin").path
    let result = try GeneratedModelRunner.run(specPath: specPath,
                                              weightsPath: constant ? nil : weightsURL.path,
                                              inputPath: input, threads: threads)
    let outputs: [[Float]]
    switch result {
    case .success(let values): outputs = values
    case .failure(let failure):
      XCTFail("\(name): the generated model failed: \(failure.description)", file: file, line: line)
      return []
    }
    XCTAssertEqual(outputs.count, outputCount, "\(name): number of outputs", file: file, line: line)
    for index in 0..<min(outputs.count, outputCount) {
      let actual = outputs[index]
      let expected = try expected(index)
      guard actual.count == expected.count else {
        XCTFail("\(name) output \(index): \(actual.count) values, PyTorch has \(expected.count)", file: file, line: line)
        continue
      }
      let comparison = Self.compare(actual, expected)
      let scale = max(1, comparison.maxExpected)
      let label = "\(name) output \(index) (\(expected.count) values, max |expected| \(comparison.maxExpected))"
      XCTAssertLessThanOrEqual(comparison.maxError, 1e-4 * scale,
                               "\(label): max abs error \(comparison.maxError) > 1e-4 * \(scale)",
                               file: file, line: line)
      var note = ""
      if comparison.softmax {
        note = ", softmax, argmax \(comparison.argmaxActual) (PyTorch \(comparison.argmaxExpected))"
        XCTAssertEqual(comparison.argmaxActual, comparison.argmaxExpected,
                       "\(label): softmax argmax differs; max abs error \(comparison.maxError)",
                       file: file, line: line)
        XCTAssertLessThanOrEqual(comparison.maxError, 1e-4 * comparison.maxExpected,
                                 "\(label): softmax max abs error \(comparison.maxError) > 1e-4 * max probability",
                                 file: file, line: line)
      }
      print("pytorch agreement \(name) output \(index): max abs error \(comparison.maxError) "
            + "(max |expected| \(comparison.maxExpected), relative \(comparison.maxError / scale)\(note))")
    }
    print(String(format: "pytorch agreement \(name): %.1f s (compile or cache %.1f s)",
                 Date().timeIntervalSince(start), compileSeconds))
    return outputs
  }

  static func compare(_ actual: [Float], _ expected: [Float]) -> Comparison {
    var maxError: Float = 0
    var maxExpected: Float = 0
    for (a, e) in zip(actual, expected) {
      let error = abs(a - e)
      // A NaN in the output must fail, not vanish in `max`.
      maxError = error.isNaN ? .infinity : max(maxError, error)
      maxExpected = max(maxExpected, abs(e))
    }
    let sum = expected.reduce(0, +)
    let softmax = expected.count > 1 && expected.allSatisfy { $0 >= 0 } && abs(sum - 1) < 1e-3
    let argmax = { (values: [Float]) in values.indices.max { values[$0] < values[$1] } ?? -1 }
    return Comparison(maxError: maxError, maxExpected: maxExpected, softmax: softmax,
                      argmaxActual: argmax(actual), argmaxExpected: argmax(expected))
  }
}

/// Generated Swift vs PyTorch on the committed fixtures (`Tests/Fixtures/codegen/`, random
/// weights). Every net here compiles its generated file with `swiftc -O` once per generator
/// change (cached under `$TMPDIR/cnnc-codegen-cache`).
///
/// In `swift test`: the small nets (lenet5, the MTCNN nets, the fixed filters, allkinds,
/// squeezenet1_1). The slow-to-compile ones (mobilenet_v1, mobilenet_v2, squeezenet1_0) run with
/// `CNNC_FULL_AGREEMENT=1`.
final class PyTorchAgreementTests: XCTestCase {
  /// The fixtures' builds in the background, the last test's first
  /// (`ConvolutionKernelTests.setUp`); not the `CNNC_FULL_AGREEMENT` ones.
  override class func setUp() {
    super.setUp()
    for stem in ["squeezenet1_1", "mtcnn_rnet", "mtcnn_pnet", "mtcnn_onet", "lenet5", "laplacian", "edge_vertical", "box_blur"] {
      if let fixture = try? fixture(stem) { GeneratedModelRunner.prefetchSpec(fixture.specPath) }
    }
  }

  static func fixture(_ stem: String) throws -> PyTorchFixture {
    let directory = Golden.url("Tests/Fixtures/codegen/\(stem)")
    guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("meta.json").path) else {
      throw XCTSkip("no fixture \(directory.path)")
    }
    return try PyTorchFixture(directory)
  }

  func check(_ stem: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try Self.fixture(stem).check(file: file, line: line)
  }

  func full(_ stem: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard ProcessInfo.processInfo.environment["CNNC_FULL_AGREEMENT"] == "1" else {
      throw XCTSkip("\(stem): set CNNC_FULL_AGREEMENT=1 (compiling it with swiftc -O takes up to a minute)")
    }
    try check(stem, file: file, line: line)
  }

  func testLeNet5() throws { try check("lenet5") }
  func testMTCNNPNet() throws { try check("mtcnn_pnet") }
  func testMTCNNRNet() throws { try check("mtcnn_rnet") }
  func testMTCNNONet() throws { try check("mtcnn_onet") }
  func testEdgeVertical() throws { try check("edge_vertical") }
  func testLaplacian() throws { try check("laplacian") }
  func testBoxBlur() throws { try check("box_blur") }
  func testAllKinds() throws { try check("allkinds") }
  func testSqueezeNet1_1() throws { try check("squeezenet1_1") }
  /// Beyond the 2 threads the arena holds work memory for, the steps that keep theirs there
  /// (`MemoryTarget`: SqueezeNet's) take it from `scratch`.
  func testSqueezeNet1_1OnThreeThreads() throws {
    try Self.fixture("squeezenet1_1").check(threads: 3)
  }

  func testSqueezeNet1_0() throws { try full("squeezenet1_0") }
  func testMobileNetV1() throws { try full("mobilenet_v1") }
  func testMobileNetV2() throws { try full("mobilenet_v2") }

  /// Every committed fixture directory has a test above.
  func testEveryFixtureIsCovered() throws {
    let covered: Set = ["lenet5", "mtcnn_pnet", "mtcnn_rnet", "mtcnn_onet", "edge_vertical", "laplacian",
                        "box_blur", "allkinds", "squeezenet1_1", "squeezenet1_0", "mobilenet_v1", "mobilenet_v2"]
    let present = try FileManager.default.contentsOfDirectory(atPath: Golden.url("Tests/Fixtures/codegen").path)
      .filter { FileManager.default.fileExists(atPath: Golden.url("Tests/Fixtures/codegen/\($0)/meta.json").path) }
    XCTAssertEqual(Set(present).subtracting(covered), [], "fixtures without a test in PyTorchAgreementTests")
  }
}

/// The big nets (`Tests/Fixtures/codegen-large/`, git-ignored, hundreds of MB of weights): made by
///
///     python3 Tools/make_codegen_fixtures.py --large
///
/// Each test runs only when its fixture is present AND `CNNC_LARGE=1`; each compiles a large
/// generated file with `swiftc -O` (minutes), so run them one at a time, e.g.
///
///     CNNC_LARGE=1 swift test --filter PyTorchAgreementLargeTests/testResNet18
final class PyTorchAgreementLargeTests: XCTestCase {
  func check(_ stem: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard ProcessInfo.processInfo.environment["CNNC_LARGE"] == "1" else {
      throw XCTSkip("\(stem): set CNNC_LARGE=1 (and make the fixtures: python3 Tools/make_codegen_fixtures.py --large)")
    }
    let directory = Golden.url("Tests/Fixtures/codegen-large/\(stem)")
    guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("meta.json").path) else {
      throw XCTSkip("no fixture \(directory.path): python3 Tools/make_codegen_fixtures.py --large \(stem)")
    }
    try PyTorchFixture(directory).check(file: file, line: line)
  }

  func testAlexNet() throws { try check("alexnet") }
  func testAlexNetTorchvision() throws { try check("alexnet_torchvision") }
  func testZFNet() throws { try check("zfnet") }
  func testNiN() throws { try check("nin") }
  func testVGG11() throws { try check("vgg11") }
  func testVGG11BN() throws { try check("vgg11_bn") }
  func testVGG16() throws { try check("vgg16") }
  func testVGG16BN() throws { try check("vgg16_bn") }
  func testVGG19() throws { try check("vgg19") }
  func testVGG19BN() throws { try check("vgg19_bn") }
  func testGoogLeNet() throws { try check("googlenet") }
  func testResNet18() throws { try check("resnet18") }
  func testResNet34() throws { try check("resnet34") }
  func testResNet50() throws { try check("resnet50") }
  func testResNet101() throws { try check("resnet101") }
  func testDenseNet121() throws { try check("densenet121") }
}
