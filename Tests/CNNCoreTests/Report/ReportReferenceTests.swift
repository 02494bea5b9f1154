import CNNCore
import Foundation
import XCTest

/// Every spec in `Specs/` against PyTorch's figures in `Tests/Fixtures/reference/<spec>.json`
/// (torchvision modules measured with torchinfo; names are PyTorch module paths).
final class ReportReferenceTests: XCTestCase {
  struct Fixture: Decodable {
    struct Totals: Decodable {
      var params: Int
      var trainableParams: Int?
      var buffers: Int?
      var macs_convfc: Int
      var macs_torchinfo: Int?
    }
    struct Layer: Decodable {
      var name: String
      var output: [Int]
      var params: Int
      var macs: Int?
    }
    var outputs: [[Int]]?
    var totals: Totals
    var layers: [Layer]
  }

  func testSpecsMatchPyTorchReference() throws {
    let directory = Golden.url("Tests/Fixtures/reference")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    let fixtures = files.filter { $0.hasSuffix(".json") }.sorted()
    if fixtures.isEmpty { return XCTFail("no reference fixtures in \(directory.path)") }
    for file in fixtures {
      let stem = String(file.dropLast(5))
      let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: directory.appendingPathComponent(file)))
      let specPath = Golden.url("Specs/\(stem).cnn").path
      guard let compilation = try? Compilation(path: specPath), let checked = compilation.network else {
        XCTFail("\(stem): Specs/\(stem).cnn is missing or has errors")
        continue
      }
      let report: Report
      do { report = try Report.make(checked, source: compilation.source) } catch {
        XCTFail("\(stem): \(error.diagnostic.message)")
        continue
      }
      compare(stem, report, fixture)
      if let torchinfo = fixture.totals.macs_torchinfo {
        XCTAssertEqual(Self.torchinfoMultAdds(report, checked), torchinfo, "\(stem): torchinfo mult-adds")
      }
    }
  }

  /// torchinfo's "mult-adds" from cnnc's figures, as docs/report.md explains the difference:
  /// cnnc's MACs plus one add per output element of every conv with a bias, plus each
  /// Linear's bias, BatchNorm's 2·C and PReLU's C parameters (torchinfo counts those once).
  static func torchinfoMultAdds(_ report: Report, _ checked: CheckedNetwork) -> Int {
    var total = report.totals.macs
    for (index, layer) in checked.layers.enumerated() {
      let entry = report.entries[index]
      let hasBias = (layer.attributes?.hasBias ?? false) && layer.attributes?.constantWeights == nil
        || layer.attributes?.constantBias != nil
      switch layer.kind {
      case .conv, .dwconv, .deconv: if hasBias { total += entry.output.elementCount ?? 0 }
      case .fc: if hasBias { total += entry.output.channels }
      case .bn: total += 2 * entry.output.channels
      case .prelu: total += entry.output.channels
      default: break
      }
    }
    return total
  }

  func compare(_ stem: String, _ report: Report, _ fixture: Fixture) {
    XCTAssertEqual(report.totals.params, fixture.totals.params, "\(stem): total params")
    XCTAssertEqual(report.totals.macs, fixture.totals.macs_convfc, "\(stem): total MACs")
    if let trainable = fixture.totals.trainableParams {
      XCTAssertEqual(report.totals.trainableParams, trainable, "\(stem): trainable params")
    }
    if let buffers = fixture.totals.buffers {
      XCTAssertEqual(report.totals.buffers, buffers, "\(stem): buffers")
    }
    if let outputs = fixture.outputs {
      XCTAssertEqual(report.outputs.map(\.array), outputs, "\(stem): outputs")
    }
    var byName: [String: Report.Entry] = [:]
    for entry in report.entries { byName[entry.name] = entry }
    for layer in fixture.layers {
      guard let entry = byName[layer.name] else { continue }
      XCTAssertEqual(entry.output.array, layer.output, "\(stem): layer \(layer.name) output")
      XCTAssertEqual(entry.cost.params, layer.params, "\(stem): layer \(layer.name) params")
      if let macs = layer.macs, [LayerKind.conv, .dwconv, .deconv, .fc].contains(entry.kind) {
        XCTAssertEqual(entry.cost.macs, macs, "\(stem): layer \(layer.name) MACs")
      }
    }
  }
}
