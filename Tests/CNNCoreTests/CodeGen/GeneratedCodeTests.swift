import CNNCore
import Foundation
import XCTest

/// End to end: generate, compile with swiftc -O, run, and compare with the naive interpreter.
final class CodeGenEndToEndTests: XCTestCase {
  static let specs = Golden.url("Tests/Golden/codegen/specs")

  /// The specs' builds in the background, the last test's first
  /// (`ConvolutionKernelTests.setUp`; `PoolingPathTests.swift` adds two tests).
  override class func setUp() {
    super.setUp()
    for spec in ["poolpaths.cnn", "pools.cnn", "poolbands.cnn", "poolnan.cnn", "graph.cnn"] {
      GeneratedModelRunner.prefetchSpec(specs.appendingPathComponent(spec).path)
    }
  }

  /// Runs one spec on deterministic weights and input; returns the max error ratio.
  func check(_ spec: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let path = Self.specs.appendingPathComponent(spec).path
    let (_, network) = try GeneratedModelRunner.compilation(path)
    let (entries, tensors) = SafetensorsWriter.weights(for: network)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let weightsPath = directory.appendingPathComponent("w.safetensors").path
    try SafetensorsWriter.data(entries).write(to: URL(fileURLWithPath: weightsPath))
    let input = SafetensorsWriter.values(network.network.input.elementCount!, seed: 99, scale: 2)
    let inputPath = directory.appendingPathComponent("in.bin").path
    try GeneratedModelRunner.writeFloats(input, to: inputPath)
    let result = try GeneratedModelRunner.run(specPath: path, weightsPath: weightsPath, inputPath: inputPath)
    let outputs = try result.get()
    let expected = ReferenceInterpreter(checked: network, tensors: tensors).run(input)
    XCTAssertEqual(outputs.count, expected.count, file: file, line: line)
    for (index, (actual, reference)) in zip(outputs, expected).enumerated() {
      let name = network.layers[network.network.outputs[index]].name
      XCTAssertEqual(actual.count, reference.count, "\(spec) output \(name)", file: file, line: line)
      let scale = max(1, reference.map(abs).max() ?? 0)
      let error = zip(actual, reference).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThanOrEqual(error, 1e-4 * scale, "\(spec) output \(name): max abs error \(error)",
                               file: file, line: line)
      print("codegen e2e \(spec) \(name): max abs error \(error) (scale \(scale))")
    }
  }

  func testConvolutionKinds() throws { try check("convs.cnn") }
  func testPoolingKinds() throws { try check("pools.cnn") }
  func testGraphKinds() throws { try check("graph.cnn") }
}
