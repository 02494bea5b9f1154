import CNNCore
import XCTest

/// Every diagnostic id has an example spec under `Tests/Golden/diagnostics/<id>.cnn` whose text
/// and JSON renderings are pinned as `<id>.txt` and `<id>.json`.
final class DiagnosticGoldenTests: XCTestCase {
  func testEveryDiagnosticIdHasAGoldenExample() throws {
    for id in DiagnosticID.all {
      let name = "Tests/Golden/diagnostics/\(id.rawValue)"
      guard let data = FileManager.default.contents(atPath: Golden.url(name + ".cnn").path) else {
        XCTFail("missing example \(name).cnn")
        continue
      }
      let source = SourceFile(name: "\(id.rawValue).cnn", bytes: [UInt8](data))
      let compilation = Compilation(source: source, lint: id.rawValue.hasPrefix("lint."))
      XCTAssertTrue(compilation.diagnostics.contains { $0.id == id },
                    "\(name).cnn does not produce \(id.rawValue): \(compilation.diagnostics.map(\.id.rawValue))")
      Golden.assertMatches(TextRenderer().render(compilation.diagnostics, source: source), name + ".txt")
      Golden.assertMatches(JSONRenderer.render(compilation.diagnostics, source: source), name + ".json")
    }
  }

  func testEveryIdIsDocumented() throws {
    let docs = try Golden.read("docs/diagnostics.md")
    for id in DiagnosticID.all {
      XCTAssertTrue(docs.contains("`\(id.rawValue)`"), "docs/diagnostics.md lacks \(id.rawValue)")
    }
  }

  func testCatalogIsSortedAndUnique() {
    let names = DiagnosticID.all.map(\.rawValue)
    XCTAssertEqual(names, names.sorted())
    XCTAssertEqual(Set(names).count, names.count)
  }

  func testSARIFIsVersion210WithRegions() throws {
    let source = SourceFile(name: "a.cnn", text: "input 224x224x3\nconv 96 11x11 s4\n")
    let compilation = Compilation(source: source)
    let sarif = SARIFRenderer.render(compilation.diagnostics, source: source, version: "cnnc 0.1.0")
    let object = try JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any]
    XCTAssertEqual(object?["version"] as? String, "2.1.0")
    let runs = object?["runs"] as? [[String: Any]]
    let result = (runs?.first?["results"] as? [[String: Any]])?.first
    XCTAssertEqual(result?["ruleId"] as? String, "spatial.non-integral")
    let region = ((result?["locations"] as? [[String: Any]])?.first?["physicalLocation"]
      as? [String: Any])?["region"] as? [String: Int]
    XCTAssertEqual(region, ["startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 17])
  }
}
