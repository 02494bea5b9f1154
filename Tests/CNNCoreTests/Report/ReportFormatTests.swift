import CNNCore
import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Goldens of every format for `Tests/Golden/reports/small.cnn`, and well-formed graphs.
final class ReportFormatTests: XCTestCase {
  func smallReport() throws -> Report {
    let text = try Golden.read("Tests/Golden/reports/small.cnn")
    return try ReportTests.report(text, name: "small.cnn")
  }

  func testGoldens() throws {
    let report = try smallReport()
    let outline = ReportOutline(report, depth: nil)
    Golden.assertMatches(ReportTable.text(report, outline: outline), "Tests/Golden/reports/small.txt")
    Golden.assertMatches(ReportTable.markdown(report, outline: outline), "Tests/Golden/reports/small.md")
    Golden.assertMatches(ReportJSON.render(report), "Tests/Golden/reports/small.json")
    Golden.assertMatches(ReportCSV.render(report), "Tests/Golden/reports/small.csv")
    Golden.assertMatches(GraphDot.render(report, outline: outline), "Tests/Golden/reports/small.dot")
    let folded = ReportOutline(report, depth: 0)
    Golden.assertMatches(ReportTable.text(report, outline: folded), "Tests/Golden/reports/small-depth0.txt")
  }

  /// Folded rows sum their layers, so the params column still adds up to the total.
  func testFoldingKeepsTheTotals() throws {
    let report = try smallReport()
    for depth in [0, 1] {
      let outline = ReportOutline(report, depth: depth)
      let covered = outline.rows.filter { $0.kind != .expandedBlock }.flatMap(\.indices)
      XCTAssertEqual(covered, Array(report.entries.indices), "depth \(depth)")
    }
  }

  func testSVGIsWellFormed() throws {
    let report = try smallReport()
    for depth in [nil, 0] {
      let svg = GraphSVG.render(report, outline: ReportOutline(report, depth: depth))
      let parser = XMLParser(data: Data(svg.utf8))
      XCTAssertTrue(parser.parse(), "depth \(String(describing: depth)): \(String(describing: parser.parserError))")
      XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    }
  }

  func testJSONKeysFollowTheContract() throws {
    let json = ReportJSON.render(try smallReport())
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    XCTAssertEqual(object["schema"] as? String, "cnnc.report/1")
    let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
    XCTAssertEqual(Set(layers[0].keys), Set([
      "name", "kind", "line", "inputs", "output", "kernel", "stride", "pad", "groups", "dilation",
      "params", "buffers", "macs", "elementOps", "outputBytes", "receptiveField", "jump",
    ]))
    let order = ["\"schema\"", "\"network\"", "\"file\"", "\"input\"", "\"outputs\"", "\"layers\"", "\"totals\""]
    let positions = order.compactMap { json.range(of: $0)?.lowerBound }
    XCTAssertEqual(positions, positions.sorted())
    XCTAssertEqual(positions.count, order.count)
  }
}
