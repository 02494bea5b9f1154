import CNNCore
import XCTest

/// Expansion and naming pinned as dumps: `Tests/Golden/expansion/<name>.cnn` → `<name>.txt`.
final class ExpansionGoldenTests: XCTestCase {
  func testExpansionDumps() throws {
    for name in ["resnet_block", "graphs", "generated_names"] {
      let path = "Tests/Golden/expansion/\(name)"
      let compilation = Compilation(name: "\(name).cnn", text: try Golden.read(path + ".cnn"))
      XCTAssertEqual(compilation.diagnostics.map(\.message), [], name)
      Golden.assertMatches(compilation.checked?.dump() ?? "", path + ".txt")
    }
  }

  func testZooSpecsCheckCleanly() throws {
    let specs = try FileManager.default.contentsOfDirectory(atPath: Golden.url("Specs").path)
      .filter { $0.hasSuffix(".cnn") }.sorted()
    XCTAssertGreaterThanOrEqual(specs.count, 20)
    for spec in specs {
      let compilation = try Compilation(path: Golden.url("Specs/\(spec)").path)
      XCTAssertEqual(compilation.diagnostics.map(\.message), [], spec)
    }
  }
}
