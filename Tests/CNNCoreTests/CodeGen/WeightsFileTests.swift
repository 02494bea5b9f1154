import CNNCore
import Foundation
import XCTest

/// The generated `init(weightsPath:)` and `init(weights:)` on good and bad files: every error names the tensor (and both shapes).
final class CodeGenWeightsFileTests: XCTestCase {
  let spec = Golden.url("Tests/Golden/codegen/specs/tiny.cnn").path
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-weights-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDown() {
    try? FileManager.default.removeItem(at: directory)
  }

  /// Runs the compiled Tiny model on a weights file made from `entries`; the driver's output.
  /// `weightsArgument` turns the file's path into what the driver is given (a `file://` URL
  /// makes it use `init(weights: URL)`).
  func run(_ data: Data, weightsArgument: (String) -> String = { $0 }) throws -> Result<[[Float]], GeneratedModelRunner.Failure> {
    let (_, network) = try GeneratedModelRunner.compilation(spec)
    let weights = directory.appendingPathComponent("w.safetensors").path
    try data.write(to: URL(fileURLWithPath: weights))
    let input = directory.appendingPathComponent("in.bin").path
    try GeneratedModelRunner.writeFloats(SafetensorsWriter.values(network.network.input.elementCount!, seed: 5, scale: 1), to: input)
    return try GeneratedModelRunner.run(specPath: spec, weightsPath: weightsArgument(weights), inputPath: input)
  }

  func entries() throws -> [SafetensorsWriter.Entry] {
    SafetensorsWriter.weights(for: try GeneratedModelRunner.compilation(spec).1).entries
  }

  func assertError(_ data: Data, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    switch try run(data) {
    case .success: XCTFail("expected an error containing \(parts)", file: file, line: line)
    case .failure(let failure):
      for part in parts {
        XCTAssertTrue(failure.description.contains(part), "'\(part)' not in: \(failure.description)", file: file, line: line)
      }
    }
  }

  func testValidFileLoads() throws {
    XCTAssertNoThrow(try run(SafetensorsWriter.data(try entries())).get())
  }

  /// `init(weights: URL)` reads the same file as `init(weightsPath:)`.
  func testURLInitializerLoadsTheSameWeights() throws {
    let data = SafetensorsWriter.data(try entries())
    let byPath = try run(data).get()
    let byURL = try run(data, weightsArgument: { URL(fileURLWithPath: $0).absoluteString }).get()
    XCTAssertEqual(byPath, byURL)
    XCTAssertEqual(byPath.first?.count, 2)
  }

  func testMissingFile() throws {
    let missing = directory.appendingPathComponent("nowhere.safetensors").path
    switch try run(SafetensorsWriter.data(try entries()), weightsArgument: { _ in missing }) {
    case .success: XCTFail("a missing file loaded")
    case .failure(let failure):
      XCTAssertTrue(failure.description.contains("cannot read weights file '\(missing)': No such file or directory"),
                    failure.description)
    }
  }

  /// The header parser takes any JSON a writer may produce: white space and line breaks,
  /// escaped names (`\u002e` is `.`, `\/` is `/`), nested metadata with numbers, literals and
  /// surrogate pairs, members in another order; the outputs are those of the plain file.
  func testHeaderJSONVariantsLoad() throws {
    let list = try entries()
    let plain = try run(SafetensorsWriter.data(list)).get()
    let variant = SafetensorsWriter.data(list) { header in
      var text = header
        .replacingOccurrences(of: "\"__metadata__\":{\"format\":\"pt\"}",
                              with: "\"__metadata__\" : {\"format\": \"pt\", \"note\": \"\\ud83d\\ude00 \\\"q\\\" \\/\", \"n\": [-1.5e3, 0, true, false, null, {}]}")
        .replacingOccurrences(of: ",\"", with: ",\n  \"")
        .replacingOccurrences(of: ":[", with: ": [ ")
      text = text.replacingOccurrences(of: "\"c.weight\"", with: "\"c\\u002eweight\"")
      return "\t" + text + "\r\n"
    }
    let text = String(decoding: variant, as: UTF8.self)
    for part in ["\"c\\u002eweight\"", "\\ud83d\\ude00", ",\n  \"", ": [ ", "\"__metadata__\" : {"] {
      XCTAssertTrue(text.contains(part), "the variant header lacks \(part)")
    }
    XCTAssertEqual(try run(variant).get(), plain)
  }

  /// Not JSON (or nested past any header's depth): a clear error, never a crash.
  func testMalformedHeadersAreRejected() throws {
    let list = try entries()
    let broken: [(String, (String) -> String)] = [
      ("trailing comma", { $0.replacingOccurrences(of: "}}", with: "},}") }),
      ("leading zero", { $0.replacingOccurrences(of: "[0,", with: "[00,") }),
      ("unterminated string", { String($0.dropLast(2)) + "\"" }),
      ("bad escape", { $0.replacingOccurrences(of: "\"pt\"", with: "\"p\\x\"") }),
      ("lone surrogate", { $0.replacingOccurrences(of: "\"pt\"", with: "\"\\ud83d\"") }),
      ("deep nesting", { $0.replacingOccurrences(of: "\"pt\"", with: String(repeating: "[", count: 100_000)) }),
    ]
    for (what, rewrite) in broken {
      let data = SafetensorsWriter.data(list, rewrite: rewrite)
      switch try run(data) {
      case .success: XCTFail("\(what): loaded")
      case .failure(let failure):
        XCTAssertTrue(failure.description.contains("header is not a JSON object"), "\(what): \(failure.description)")
      }
    }
  }

  func testMissingTensor() throws {
    let list = try entries().filter { $0.name != "bn1.running_var" }
    try assertError(SafetensorsWriter.data(list), contains: ["error: tensor 'bn1.running_var' [3] is missing"])
  }

  func testExtraTensor() throws {
    let list = try entries() + [.init(name: "bogus.weight", shape: [2], values: [1, 2])]
    try assertError(SafetensorsWriter.data(list), contains: ["unexpected tensor 'bogus.weight' [2]"])
  }

  func testWrongShape() throws {
    let list = try entries().map { entry -> SafetensorsWriter.Entry in
      var copy = entry
      if entry.name == "c.weight" { copy.shape = [3, 2, 9] }
      return copy
    }
    try assertError(SafetensorsWriter.data(list),
                    contains: ["tensor 'c.weight' has shape [3, 2, 9] in the file; the network expects [3, 2, 3, 3]"])
  }

  func testWrongDtype() throws {
    let list = try entries().map { entry -> SafetensorsWriter.Entry in
      var copy = entry
      if entry.name == "head.bias" { copy.dtype = "I32" }
      return copy
    }
    try assertError(SafetensorsWriter.data(list), contains: ["tensor 'head.bias' [2] has dtype I32"])
  }

  func testTruncatedFile() throws {
    let data = SafetensorsWriter.data(try entries())
    try assertError(data.prefix(data.count - 3), contains: ["tensor 'head.bias' [2] F32 needs 8 bytes", "truncated"])
  }

  func testGarbageHeader() throws {
    try assertError(Data([200, 0, 0, 0, 0, 0, 0, 0] + Array("not json at all".utf8)),
                    contains: ["is not a safetensors file"])
    var bytes: [UInt8] = [16, 0, 0, 0, 0, 0, 0, 0]
    bytes += Array("{\"a\":[1,2,3,4,5".utf8) + [32]
    try assertError(Data(bytes), contains: ["header is not a JSON object"])
  }

  /// F16 and BF16 tensors are widened on load: the output equals the F32 run on rounded weights.
  func testHalfPrecisionIsConverted() throws {
    let f32 = try entries()
    func rounded(_ entry: SafetensorsWriter.Entry, bf16: Bool) -> (SafetensorsWriter.Entry, SafetensorsWriter.Entry) {
      guard entry.dtype == "F32" else { return (entry, entry) }
      let values = stride(from: 0, to: entry.bytes.count, by: 4).map { at in
        Float(bitPattern: UInt32(entry.bytes[at]) | UInt32(entry.bytes[at + 1]) << 8
          | UInt32(entry.bytes[at + 2]) << 16 | UInt32(entry.bytes[at + 3]) << 24)
      }
      let narrow: [UInt16] = values.map { bf16 ? UInt16($0.bitPattern >> 16) : Float16($0).bitPattern }
      let wide: [Float] = narrow.map { bf16 ? Float(bitPattern: UInt32($0) << 16) : Float(Float16(bitPattern: $0)) }
      let half = SafetensorsWriter.Entry(name: entry.name, dtype: bf16 ? "BF16" : "F16", shape: entry.shape,
                                         bytes: narrow.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
      return (half, SafetensorsWriter.Entry(name: entry.name, shape: entry.shape, values: wide))
    }
    for bf16 in [false, true] {
      let pairs = f32.map { rounded($0, bf16: bf16) }
      let half = try run(SafetensorsWriter.data(pairs.map(\.0))).get()
      let widened = try run(SafetensorsWriter.data(pairs.map(\.1))).get()
      XCTAssertEqual(half, widened, bf16 ? "BF16" : "F16")
    }
  }

  /// `init()` exists when every weight is in the spec, and computes with the baked values.
  func testConstantWeightsNeedNoFile() throws {
    let path = Golden.url("Tests/Golden/codegen/specs/constant.cnn").path
    let (_, network) = try GeneratedModelRunner.compilation(path)
    let values = SafetensorsWriter.values(30, seed: 3, scale: 2)
    let input = directory.appendingPathComponent("in.bin").path
    try GeneratedModelRunner.writeFloats(values, to: input)
    let outputs = try GeneratedModelRunner.run(specPath: path, weightsPath: nil, inputPath: input).get()
    let expected = ReferenceInterpreter(checked: network, tensors: [:]).run(values)
    for (a, b) in zip(outputs[0], expected[0]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }
}
