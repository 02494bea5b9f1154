import XCTest
@testable import cnnc

/// `cnnc report` through the command line: formats on stdout, exit codes.
final class ReportCLITests: XCTestCase {
  func run(_ argv: [String], stdin: String) -> (code: Int32, out: String, err: String) {
    var tool = Tool()
    tool.readStandardInput = { Array(stdin.utf8) }
    let code = tool.run(argv)
    return (code, tool.standardOutput, tool.standardError)
  }

  let spec = "network Tiny\ninput 8x8x1\nconv 4 3x3 p1 | relu | gap | fc 2\n"

  func testEveryFormatPrintsAndExitsZero() {
    for format in ["text", "markdown", "json", "csv", "dot", "svg"] {
      let result = run(["report", "-", "--format", format], stdin: spec)
      XCTAssertEqual(result.code, 0, format)
      XCTAssertFalse(result.out.isEmpty, format)
      XCTAssertEqual(result.err, "", format)
    }
    XCTAssertTrue(run(["report", "-", "--format", "json"], stdin: spec).out.contains("\"file\": \"<stdin>\""))
  }

  func testSpecErrorsExitOne() {
    let result = run(["report", "-"], stdin: "input 8x8x1\nconv 4 9x9\n")
    XCTAssertEqual(result.code, 1)
    XCTAssertEqual(result.out, "")
    XCTAssertTrue(result.err.contains("error:"), result.err)
  }

  func testOverflowIsADiagnosticWithExitOne() {
    let result = run(["report", "-", "--diagnostics-format", "json"],
                     stdin: "input 1x1x4000000000\nfc 4000000000\n")
    XCTAssertEqual(result.code, 1)
    XCTAssertEqual(result.out, "")
    // For commands whose standard output is a product, machine diagnostics go to standard error.
    XCTAssertTrue(result.err.contains("\"id\": \"shape.overflow\""), result.err)
  }
}
