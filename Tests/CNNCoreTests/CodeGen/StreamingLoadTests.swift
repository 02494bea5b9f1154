import CNNCore
import Foundation
import XCTest

/// The generated loader streams the weights file into the packed buffer: loading a model grows
/// the process by about its packed weights, not by the file plus every decoded tensor as well.
final class StreamingLoadTests: XCTestCase {
  /// 67 MB of fc weights (more than a 256 KB read, in rows of 16,384 that straddle reads) after
  /// a conv whose batch norm is folded at load.
  let spec = """
    network Wide
    input 8x8x64
    c: conv 256 3x3 p1 | bn | relu
    flatten
    head: fc 1024
    """

  /// Growth of peak RSS during `init(weights:)` may exceed the weights by this much (the
  /// reader's buffers, Foundation's lazily loaded parts); holding all decoded tensors, or the
  /// mapped file, would add another 67 MB.
  let slack = 16 << 20

  func testLoadingGrowsByTheWeightsOnly() throws {
    guard let swiftc = GeneratedModelRunner.swiftc else { throw XCTSkip("swiftc not found") }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-stream-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let compilation = Compilation(name: "wide.cnn", text: spec)
    let network = try XCTUnwrap(compilation.network, "\(compilation.diagnostics.map(\.message))")
    let source = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc test",
                                         targetCPU: GeneratedModelRunner.hostCPU)
    try source.write(to: directory.appendingPathComponent("Model.swift"), atomically: true, encoding: .utf8)
    try Self.driver.write(to: directory.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
    var arguments = ["-swift-version", "6", "-O", "-parse-as-library", "-warnings-as-errors",
                     "Model.swift", "main.swift", "-o", "model"]
    if let cpu = GeneratedModelRunner.hostCPU { arguments += ["-target-cpu", cpu] }
    let build = try GeneratedModelRunner.execute(swiftc, arguments, in: directory)
    guard build.status == 0 else { return XCTFail("swiftc failed:\n\(build.output.prefix(4000))") }

    let tensors = Self.tensors()
    let weights = directory.appendingPathComponent("w.safetensors")
    let weightBytes = try Self.write(tensors, to: weights)
    let input = SafetensorsWriter.values(8 * 8 * 64, seed: 9, scale: 1)
    let inputPath = directory.appendingPathComponent("in.bin").path
    let outputPath = directory.appendingPathComponent("out.bin").path
    try GeneratedModelRunner.writeFloats(input, to: inputPath)
    let run = try GeneratedModelRunner.execute(directory.appendingPathComponent("model").path,
                                               [weights.path, inputPath, outputPath], in: nil)
    XCTAssertEqual(run.status, 0, run.output)
    let growth = try XCTUnwrap(Int(run.output.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""), run.output)
    XCTAssertLessThan(growth, weightBytes + slack, "init grew the process by \(growth) bytes for \(weightBytes) bytes of weights")
    XCTAssertGreaterThan(growth, weightBytes * 9 / 10, "the packed weights should be resident")

    let data = try Data(contentsOf: URL(fileURLWithPath: outputPath))
    let output = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let expected = ReferenceInterpreter(checked: network, tensors: tensors).run(input)[0]
    XCTAssertEqual(output.count, expected.count)
    for (index, (a, b)) in zip(output, expected).enumerated() {
      XCTAssertEqual(a, b, accuracy: 1e-3 * max(1, abs(b)), "output \(index)")
    }
  }

  /// Deterministic values; the fc rows from a cheap pattern (16.8 M values).
  static func tensors() -> [String: [Float]] {
    var tensors: [String: [Float]] = [
      "c.weight": SafetensorsWriter.values(256 * 64 * 9, seed: 1, scale: 0.05),
      "c.bias": SafetensorsWriter.values(256, seed: 2, scale: 0.1),
      "bn1.weight": SafetensorsWriter.values(256, seed: 3, scale: 0.5).map { $0 + 1 },
      "bn1.bias": SafetensorsWriter.values(256, seed: 4, scale: 0.1),
      "bn1.running_mean": SafetensorsWriter.values(256, seed: 5, scale: 0.1),
      "bn1.running_var": SafetensorsWriter.values(256, seed: 6, scale: 0.5).map { $0 + 1 },
      "head.bias": SafetensorsWriter.values(1024, seed: 7, scale: 0.1),
    ]
    var head = [Float](repeating: 0, count: 1024 * 16384)
    for index in head.indices { head[index] = Float(index % 251 - 125) * 1e-4 }
    tensors["head.weight"] = head
    return tensors
  }

  static let shapes: [(String, [Int])] = [
    ("c.weight", [256, 64, 3, 3]), ("c.bias", [256]), ("bn1.weight", [256]), ("bn1.bias", [256]),
    ("bn1.running_mean", [256]), ("bn1.running_var", [256]), ("head.weight", [1024, 16384]),
    ("head.bias", [1024]),
  ]

  /// Writes a safetensors file without building it in memory twice; its data bytes.
  static func write(_ tensors: [String: [Float]], to url: URL) throws -> Int {
    var entries: [String] = []
    var offset = 0
    for (name, shape) in shapes {
      let bytes = shape.reduce(1, *) * 4
      let dims = shape.map(String.init).joined(separator: ",")
      entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(dims)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
      offset += bytes
    }
    let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    try handle.write(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header)
    for (name, _) in shapes {
      try tensors[name, default: []].withUnsafeBufferPointer { try handle.write(contentsOf: Data(buffer: $0)) }
    }
    return offset
  }

  /// Prints the growth of peak RSS over `init(weights:)`, then runs the model once.
  static let driver = """
    import Foundation

    /// Peak RSS of this process. Linux: `VmHWM`, because `ru_maxrss` survives `exec` and would
    /// report the (larger) test process that spawned this one.
    func peakBytes() -> Int {
      #if os(Linux)
      let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
      let line = status.split(separator: "\\n").first { $0.hasPrefix("VmHWM:") } ?? ""
      return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
      #else
      var usage = rusage()
      _ = getrusage(RUSAGE_SELF, &usage)
      return usage.ru_maxrss
      #endif
    }

    @main
    struct Driver {
      static func main() {
        let arguments = CommandLine.arguments
        do {
          let before = peakBytes()
          let model = try Wide(weights: URL(fileURLWithPath: arguments[1]))
          let growth = peakBytes() - before
          let data = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
          let input = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
          try model.forward(input).withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: arguments[3])) }
          print("rss-growth \\(growth)")
        } catch {
          print("error: \\(error)")
          exit(3)
        }
      }
    }

    """
}
