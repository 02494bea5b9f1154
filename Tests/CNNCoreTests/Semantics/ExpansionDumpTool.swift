import CNNCore
import Foundation
import XCTest

/// Prints the dump of a spec named by `CNNC_DUMP` (a developer aid; skipped otherwise).
final class ExpansionDumpTool: XCTestCase {
  func testDumpRequestedSpec() throws {
    guard let path = ProcessInfo.processInfo.environment["CNNC_DUMP"] else { throw XCTSkip("set CNNC_DUMP") }
    let compilation = try Compilation(path: path)
    print(compilation.checked?.dump() ?? "no network")
    print(TextRenderer().render(compilation.diagnostics, source: compilation.source))
  }
}
