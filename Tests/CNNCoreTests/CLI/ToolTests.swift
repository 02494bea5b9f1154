import XCTest
@testable import cnnc

/// The command line, driven in-process: exit codes and streams as `cli.md` fixes them.
final class ToolTests: XCTestCase {
  func run(_ argv: [String], stdin: String = "") -> (code: Int32, out: String, err: String) {
    var tool = Tool()
    tool.readStandardInput = { Array(stdin.utf8) }
    let code = tool.run(argv)
    return (code, tool.standardOutput, tool.standardError)
  }

  func testUnknownFlagIsExitTwo() {
    let result = run(["check", "--bogus", "x.cnn"])
    XCTAssertEqual(result.code, 2)
    XCTAssertEqual(result.err, "cnnc: error: unknown option '--bogus'; see 'cnnc help check'\n")
  }

  func testMissingFileIsExitTwo() {
    let result = run(["check", "/nonexistent/spec.cnn"])
    XCTAssertEqual(result.code, 2)
    XCTAssertEqual(result.err, "cnnc: error: '/nonexistent/spec.cnn': no such file\n")
  }

  func testStandardInputIsNamedStdin() {
    let result = run(["check", "-", "--diagnostics-format", "github"], stdin: "input 8x8x1\nconv 4 3x3 q1\n")
    XCTAssertEqual(result.code, 1)
    XCTAssertTrue(result.out.hasPrefix("::error file=<stdin>,line=2,col=12,"), result.out)
  }

  func testCleanSpecIsExitZero() {
    let result = run(["check", "-"], stdin: "input 8x8x1\nconv 4 3x3 p1 | relu\n")
    XCTAssertEqual(result.code, 0)
    XCTAssertEqual(result.err, "1 file checked, no errors\n")
    XCTAssertEqual(run(["check", "--quiet", "-"], stdin: "input 8x8x1\nrelu\n").err, "")
  }

  func testVersionAndHelp() {
    XCTAssertEqual(run(["--version"]).out, "cnnc 0.1.0\n")
    XCTAssertTrue(run(["--help"]).out.contains("cnnc check  FILE..."))
    XCTAssertEqual(run(["help", "nope"]).code, 2)
  }
}
