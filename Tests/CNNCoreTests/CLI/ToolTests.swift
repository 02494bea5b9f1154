import Foundation
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

extension ToolTests {
  /// Several files give one JSON document whose entries name their files.
  func testJSONOverSeveralFilesIsOneDocument() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-tool-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let first = directory.appendingPathComponent("a.cnn").path
    let second = directory.appendingPathComponent("b.cnn").path
    try "input 8x8x3\ncovn 4 3x3\n".write(toFile: first, atomically: true, encoding: .utf8)
    try "input 8x8x3\nconv 4 3x3 s2\n".write(toFile: second, atomically: true, encoding: .utf8)
    let result = run(["check", first, second, "--diagnostics-format", "json"])
    XCTAssertEqual(result.code, 1)
    let object = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]
    let entries = object?["diagnostics"] as? [[String: Any]] ?? []
    XCTAssertEqual(entries.map { $0["id"] as? String }, ["syntax.unknown-layer", "spatial.non-integral"])
    XCTAssertEqual(entries.map { $0["file"] as? String }, [first, second])
  }

  func testWerrorPromotesWarnings() {
    let spec = "input 32x32x3\nconv 16 3x3 p1 | bn | relu\n"
    XCTAssertEqual(run(["lint", "-"], stdin: spec).code, 0)
    XCTAssertEqual(run(["lint", "--werror", "-"], stdin: spec).code, 1)
  }
}
