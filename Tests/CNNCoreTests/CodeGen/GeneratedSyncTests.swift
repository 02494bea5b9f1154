import CNNCore
import Foundation
import XCTest

/// `Generated/<stem>.swift` is the committed output of `cnnc` for every `Specs/<stem>.cnn`.
///
/// Each file is made by `Tools/regenerate.sh`, which runs, from the repository root,
///
///     cnnc Specs/<stem>.cnn -o Generated/<stem>.swift --target-cpu znver4
///
/// The target CPU is fixed (the CI machine kind) so that the files do not depend on the machine
/// that made them (`--target-cpu` selects the SIMD width). This test regenerates every file in
/// process, exactly as the CLI does (same source name, same command line in the header), and
/// fails on any difference, naming the file and its first differing line. It does not need
/// swiftc. After a generator change: `Tools/regenerate.sh` (or `CNNC_RECORD=1 swift test
/// --filter GeneratedSyncTests`), review the diff, commit.
final class GeneratedSyncTests: XCTestCase {
  /// The `--target-cpu` every committed file is generated for.
  static let targetCPU = "znver4"

  /// The command line written into the header, as `Build.swift` composes it.
  static func commandLine(_ stem: String) -> String {
    "cnnc Specs/\(stem).cnn -o Generated/\(stem).swift --target-cpu \(targetCPU)"
  }

  static func specStems() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: Golden.url("Specs").path)
      .filter { $0.hasSuffix(".cnn") }
      .map { String($0.dropLast(4)) }
      .sorted()
  }

  /// What `cnnc Specs/<stem>.cnn -o Generated/<stem>.swift --target-cpu znver4` writes.
  static func generate(_ stem: String) throws -> String {
    let relative = "Specs/\(stem).cnn"
    let data = try Data(contentsOf: Golden.url(relative))
    // The CLI names the source after the path it was given (relative, from the repo root).
    let compilation = Compilation(source: SourceFile(name: relative, bytes: [UInt8](data)))
    guard let network = compilation.network else {
      throw GeneratedModelRunner.Failure(
        description: "\(relative) has errors: \(compilation.diagnostics.map(\.message))")
    }
    return SwiftGenerator.generate(network, source: compilation.source,
                                   commandLine: commandLine(stem), targetCPU: targetCPU)
  }

  func testEveryGeneratedFileMatchesTheGenerator() throws {
    let stems = try Self.specStems()
    XCTAssertFalse(stems.isEmpty, "no specs found under Specs/")
    let record = ProcessInfo.processInfo.environment["CNNC_RECORD"] == "1"
    var stale: [String] = []
    for stem in stems {
      let relative = "Generated/\(stem).swift"
      let actual = try Self.generate(stem)
      let existing = try? String(contentsOf: Golden.url(relative), encoding: .utf8)
      if existing == actual { continue }
      stale.append(relative)
      if record {
        try actual.write(to: Golden.url(relative), atomically: true, encoding: .utf8)
        XCTFail("rewrote \(relative) (CNNC_RECORD=1); review and commit it")
      } else if existing == nil {
        XCTFail("\(relative) is missing; run Tools/regenerate.sh and commit it")
      } else {
        XCTFail("""
          \(relative) is stale: it differs from what the generator now writes for Specs/\(stem).cnn \
          (run Tools/regenerate.sh and commit the result). First difference, \
          \(Golden.firstDifference(existing!, actual))
          """)
      }
    }
    print("GeneratedSyncTests: \(stems.count) specs, \(stale.count) stale\(stale.isEmpty ? "" : ": \(stale)")")
  }

  /// No orphans: every committed `Generated/*.swift` has its spec.
  func testNoGeneratedFileWithoutSpec() throws {
    let stems = Set(try Self.specStems())
    let generated = try FileManager.default.contentsOfDirectory(atPath: Golden.url("Generated").path)
      .filter { $0.hasSuffix(".swift") }
    for name in generated where !stems.contains(String(name.dropLast(6))) {
      XCTFail("Generated/\(name) has no Specs/\(name.dropLast(6)).cnn; delete it (Tools/regenerate.sh does)")
    }
  }

  /// The header states the fixed command and target, so a reader can reproduce the file.
  func testHeaderNamesTheCommand() throws {
    let text = try Self.generate("lenet5")
    XCTAssertTrue(text.contains("// Command: cnnc Specs/lenet5.cnn -o Generated/lenet5.swift --target-cpu znver4\n"))
    XCTAssertTrue(text.contains("// Vectors: SIMD16<Float>"), "znver4 means 16 lanes, whatever the host")
  }
}
