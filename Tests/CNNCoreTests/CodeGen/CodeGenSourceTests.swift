@testable import CNNCore
import Foundation
import XCTest
@testable import cnnc

/// The generated text itself (golden), the buffer plan, and `cnnc FILE -o` from the CLI.
final class CodeGenSourceTests: XCTestCase {
  func generate(_ spec: String, cpu: String? = "znver4") throws -> String {
    let path = Golden.url("Tests/Golden/codegen/specs/\(spec)").path
    let (compilation, network) = try GeneratedModelRunner.compilation(path)
    return SwiftGenerator.generate(network, source: compilation.source,
                                   commandLine: "cnnc \(spec) -o Model.swift --target-cpu znver4", targetCPU: cpu)
  }

  func testGoldenTiny() throws {
    Golden.assertMatches(try generate("tiny.cnn"), "Tests/Golden/codegen/tiny.swift")
  }

  /// Generated code never hashes a `String` (no dictionary or set keyed by one): the first
  /// hash pages in ~1 MB of the standard library, more than a small model's weights (a
  /// dictionary of `edge_vertical`'s 3 spec-constant weights held 1.2 MB of its 1.22 MB model
  /// RSS). Tensors are looked up in lists instead.
  func testGeneratedCodeHashesNoStrings() throws {
    let directory = Golden.url("Generated")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
    XCTAssertGreaterThanOrEqual(files.count, 27)
    for file in files {
      let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
      for pattern in ["[String:", "Dictionary<String", "Set<String>", ": Hashable"] {
        XCTAssertFalse(text.contains(pattern), "\(file): \(pattern)")
      }
    }
    let constants = try String(contentsOf: directory.appendingPathComponent("edge_vertical.swift"), encoding: .utf8)
    XCTAssertTrue(constants.contains("private static let constants: [(name: String, values: [Float])] = [\n    (\"edge.weight\", [1.0, 0.0, -1.0]),\n  ]"))
  }

  func testGenerationIsDeterministic() throws {
    XCTAssertEqual(try generate("graph.cnn"), try generate("graph.cnn"))
  }

  func testLanesFollowTargetCPU() {
    XCTAssertEqual(SwiftGenerator.lanes(forTargetCPU: "znver4"), 16)
    XCTAssertEqual(SwiftGenerator.lanes(forTargetCPU: "skylake-avx512"), 16)
    XCTAssertEqual(SwiftGenerator.lanes(forTargetCPU: "haswell"), 8)
    XCTAssertEqual(SwiftGenerator.lanes(forTargetCPU: nil), 8)
    XCTAssertEqual(SwiftGenerator.lanes(forTargetCPU: "apple-m1"), 4)
  }

  /// Layers named like the class's own members get functions of other names: every
  /// `private static func` the class emits for itself is a reserved identifier.
  func testLayerNamesNeverTakeTheClassHelpersNames() throws {
    let helpers = ["allocateZeroed", "allocateScratch", "scratchCount", "parallelParts", "parallelFor"]
    let text = "network N\ninput 8x8x3\n" + helpers.map { "\($0): conv 16 3x3 p1 | relu\n" }.joined() + "fc 4\n"
    let compilation = Compilation(name: "names.cnn", text: text)
    let network = try XCTUnwrap(compilation.network, "\(compilation.diagnostics.map(\.message))")
    let source = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc names.cnn", targetCPU: "znver4")
    for name in helpers {
      XCTAssertTrue(source.contains("private static func \(name)"), "the class emits \(name)")
      XCTAssertFalse(source.contains("private func \(name)("), "layer \(name) takes another function name")
      XCTAssertTrue(SwiftEmitter.reserved.contains(name), name)
    }
  }

  /// On a chain the arena is exactly the live maximum (ping-pong placement), and in-place
  /// layers (bn, activations) add nothing.
  func testBufferPlanOnChain() throws {
    let compilation = Compilation(name: "chain.cnn", text: "input 8x8x2\nconv 4 3x3 p1 | bn | relu\nconv 6 3x3 p1 | relu\nmaxpool 2\nfc 3\n")
    let network = try XCTUnwrap(compilation.network)
    let plan = BufferPlan(LoweredNetwork(network))
    // conv1 runs with the input live: 128 + 256; conv2: 256 + 384 (the largest); pool, fc.
    XCTAssertEqual(plan.peakBytes, (256 + 384) * 4)
    XCTAssertEqual(plan.arenaCount, 256 + 384)
    XCTAssertEqual(LoweredNetwork(network).steps.count, 4)
  }

  func testCLIWritesAtomicallyAndReportsErrors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = Golden.url("Tests/Golden/codegen/specs/tiny.cnn").path
    let target = directory.appendingPathComponent("Model.swift").path

    var tool = Tool()
    XCTAssertEqual(tool.run([spec, "-o", target, "--target-cpu", "znver4"]), 0, tool.standardError)
    let written = try String(contentsOfFile: target, encoding: .utf8)
    XCTAssertTrue(written.contains("public final class Tiny {"))
    XCTAssertTrue(written.contains("// Command: cnnc \(spec) -o \(target) --target-cpu znver4"))

    tool = Tool()
    XCTAssertEqual(tool.run(["build", spec, "-o", target, "--quiet"]), 0)
    XCTAssertEqual(tool.standardError, "")

    // A spec with errors: exit 1, the existing file untouched.
    tool = Tool()
    tool.readStandardInput = { Array("input 8x8x1\nconv 4 3x3 q1\n".utf8) }
    let before = try String(contentsOfFile: target, encoding: .utf8)
    XCTAssertEqual(tool.run(["-", "-o", target]), 1)
    XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), before)

    // Unwritable output: exit 2 with a message; no temporary file left behind.
    tool = Tool()
    XCTAssertEqual(tool.run([spec, "-o", "/nonexistent-dir/Model.swift"]), 2)
    XCTAssertTrue(tool.standardError.hasPrefix("cnnc: error: cannot write '/nonexistent-dir/Model.swift'"), tool.standardError)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["Model.swift"])
  }
}
