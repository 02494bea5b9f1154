import Foundation
import XCTest

@testable import CNNCore

/// "Bad input never hurts": every class of hostile input gets a located error (or, where it is
/// valid, an answer), never a trap, a stack overflow or a hang.
///
/// Each test names the exact diagnostic id and line:col. There are no timing assertions: a hang
/// shows up as a test that never finishes, a stack overflow or trap as a crashed test run.
/// Inputs the fuzzer (`Tools/fuzz/run.sh`) found are committed under `Tests/Fuzz/regressions`
/// and all run through the front end by `testFuzzRegressionsFinish`.
final class RobustnessTests: XCTestCase {
  // MARK: Helpers

  /// Compiles `bytes` with the linter on and renders the diagnostics, as `cnnc check` does.
  @discardableResult
  private func compile(_ bytes: [UInt8], name: String = "spec.cnn") -> Compilation {
    let source = SourceFile(name: name, bytes: bytes)
    let compilation = Compilation(source: source, lint: true)
    _ = TextRenderer().render(compilation.diagnostics, source: source)
    _ = JSONRenderer.render(compilation.diagnostics, source: source)
    return compilation
  }

  private func compile(_ text: String) -> Compilation {
    compile(Array(text.utf8))
  }

  /// Asserts that `compilation` reports `id` at `line:column` (1-based, columns in scalars).
  private func assertReports(
    _ compilation: Compilation, _ id: DiagnosticID, at line: Int, _ column: Int,
    file: StaticString = #filePath, sourceLine: UInt = #line
  ) {
    let found = compilation.diagnostics.map { diagnostic -> String in
      let location = compilation.source.location(of: diagnostic.range.start)
      return "\(diagnostic.id.rawValue)@\(location.line):\(location.column)"
    }
    let expected = "\(id.rawValue)@\(line):\(column)"
    XCTAssertTrue(found.contains(expected), "expected \(expected), found \(found)",
                  file: file, line: sourceLine)
  }

  // MARK: Bytes

  func testInvalidUTF8IsLocated() {
    let compilation = compile(Array("input 8x8x3\nconv 8 3x3 ".utf8) + [0xFF, 0xFE] + Array(" | relu\n".utf8))
    assertReports(compilation, .invalidUTF8, at: 2, 12)
    XCTAssertEqual(compilation.diagnostics.filter { $0.id == .invalidUTF8 }.count, 1,
                   "one report per line")
  }

  func testNULByteIsLocated() {
    let compilation = compile(Array("input 8x8x3\nrelu".utf8) + [0] + Array(" | relu\n".utf8))
    assertReports(compilation, .nulByte, at: 2, 5)
  }

  func testBinaryGarbageFinishes() {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let compilation = compile(bytes)
    XCTAssertTrue(compilation.hasErrors)
    XCTAssertLessThanOrEqual(compilation.diagnostics.count, DiagnosticEngine.maximumCount + 1)
  }

  // MARK: Size of the text

  func testOneMegabyteLineIsLocated() {
    let compilation = compile("input 8x8x3\nrelu" + String(repeating: " ", count: 1_000_000) + "| relu\n")
    assertReports(compilation, .lineTooLong, at: 2, Lexer.maximumLineLength + 1)
  }

  func testMegabyteOfUnexpectedCharactersIsCapped() {
    let compilation = compile("input 8x8x3\n" + String(repeating: "$", count: 1_000_000) + "\n")
    assertReports(compilation, .unexpectedCharacter, at: 2, 1)
    assertReports(compilation, .tooManyDiagnostics, at: 2, DiagnosticEngine.maximumCount + 1)
  }

  func testMegabyteOfWordsOnOneLine() {
    let compilation = compile("input 8x8x3\n" + String(repeating: "relu | ", count: 150_000) + "relu\n")
    assertReports(compilation, .lineTooLong, at: 2, Lexer.maximumLineLength + 1)
  }

  func testHugeWordGetsNoSuggestionButAnError() {
    let compilation = compile("input 8x8x3\n" + String(repeating: "convv", count: 200_000) + "\n")
    assertReports(compilation, .unknownLayer, at: 2, 1)
  }

  // MARK: Nesting and recursion

  func testTwentyThousandNestedBlocksAreLocated() {
    let text = "input 8x8x3\n" + String(repeating: "concat { ", count: 20_000) + "relu"
      + String(repeating: " }", count: 20_000) + "\n"
    let compilation = compile(text)
    // The 201st `concat {` opens at column 1 + 200 * 9 + 7.
    assertReports(compilation, .nestingTooDeep, at: 2, 1 + Parser.maximumNesting * 9 + 7)
    // No cascade: the block holding the skipped group is not also reported as empty.
    XCTAssertFalse(compilation.diagnostics.contains { $0.id == .emptyBlock })
  }

  func testTwentyThousandNestedBlocksOnSeparateLines() {
    let text = "input 8x8x3\n" + String(repeating: "add {\n", count: 20_000) + "relu\n"
      + String(repeating: "}\n", count: 20_000)
    let compilation = compile(text)
    assertReports(compilation, .nestingTooDeep, at: 2 + Parser.maximumNesting, 5)
  }

  func testTwentyThousandUnclosedBlocks() {
    let compilation = compile("input 8x8x3\n" + String(repeating: "concat {\n", count: 20_000))
    assertReports(compilation, .nestingTooDeep, at: 2 + Parser.maximumNesting, 8)
    assertReports(compilation, .unclosedBlock, at: 20_002, 1)
  }

  func testCallsThroughDeeplyNestedBlocksDoNotOverflowTheStack() {
    // 200 definitions, each nesting 199 blocks (legal in one body) around a call of the
    // previous one: expanded, that would be 40,000 levels of recursion.
    let blocks = Parser.maximumNesting - 1
    var text = "input 8x8x3\n"
    text += "def d0() { " + String(repeating: "concat { ", count: blocks) + "relu"
      + String(repeating: " }", count: blocks) + " }\n"
    for index in 1..<200 {
      text += "def d\(index)() { " + String(repeating: "concat { ", count: blocks) + "d\(index - 1)()"
        + String(repeating: " }", count: blocks) + " }\n"
    }
    text += "d199()\n"
    let compilation = compile(text)
    // The call of d199 plus its 199 blocks are 200 levels; its call of d198 is one too many.
    assertReports(compilation, .nestingTooDeep, at: 201, 13 + 9 * blocks + 1)
  }

  func testDefinitionCallingItselfIsLocated() {
    let compilation = compile("input 8x8x3\ndef loop(c) {\n  conv c 3x3 | loop(c)\n}\nloop(8)\n")
    assertReports(compilation, .recursiveDefinition, at: 3, 16)
  }

  func testDefinitionsCallingEachOtherAreLocated() {
    let compilation = compile("input 8x8x3\ndef a() { b() }\ndef b() { a() }\na()\n")
    assertReports(compilation, .recursiveDefinition, at: 3, 11)
  }

  func testLongDefinitionCycleDoesNotOverflowTheStack() {
    let count = 100_000
    var text = "input 8x8x3\n"
    for index in 0..<count { text += "def d\(index)() { d\((index + 1) % count)() }\n" }
    text += "d0()\n"
    let compilation = compile(text)
    // The search starts at d0 and closes the cycle at the last definition's call of d0.
    // `def d99999() { d0() }`: the call of d0 is at column 16.
    assertReports(compilation, .recursiveDefinition, at: count + 1, 16)
    let message = compilation.diagnostics.first { $0.id == .recursiveDefinition }?.message ?? ""
    XCTAssertLessThan(message.utf8.count, 500, "long cycles are elided in the message")
  }

  func testDoublingDefinitionChainIsRefusedBeforeExpanding() {
    var text = "input 8x8x3\ndef a0() { relu }\n"
    for index in 1..<40 { text += "def a\(index)() { a\(index - 1)() | a\(index - 1)() }\n" }
    text += "a39()\n"
    let compilation = compile(text)
    assertReports(compilation, .tooManyLayers, at: 42, 1)
  }

  func testManyMisplacedReferencesOnOneLine() {
    let text = "input 8x8x3\na: relu\nrelu" + String(repeating: " | @a", count: 300_000) + "\n"
    let compilation = compile(text)
    assertReports(compilation, .referenceAfterPipe, at: 3, 8)
  }

  // MARK: Counts and sizes

  func testBillionRepeatsAreRefused() {
    let compilation = compile("input 8x8x3\nrepeat 1000000000 { conv 8 3x3 p1 | relu }\n")
    assertReports(compilation, .tooManyLayers, at: 2, 1)
  }

  func testNestedRepeatsAreRefusedBeforeExpanding() {
    let compilation = compile("input 8x8x3\nrepeat 1000 { repeat 1000 { repeat 1000 { relu } } }\n")
    assertReports(compilation, .tooManyLayers, at: 2, 1)
  }

  func testBillionRepeatsOfNothingFinish() {
    for body in ["", "@a", "e()", "@a\n@a"] {
      let compilation = compile("input 8x8x3\na: relu\ndef e() { }\nrepeat 1000000000 { \(body) }\n")
      XCTAssertFalse(compilation.diagnostics.contains { $0.id == .tooManyLayers }, body)
    }
  }

  func testRepeatedErrorsAreReportedOnce() {
    let compilation = compile("input 8x8x3\nrepeat 999999 { frobnicate }\n")
    assertReports(compilation, .unknownLayer, at: 2, 17)
    XCTAssertEqual(compilation.diagnostics.filter { $0.id == .unknownLayer }.count, 1)
  }

  func testRepeatCountNearIntMax() {
    let compilation = compile("input 8x8x3\nrepeat 9223372036854775807 { relu }\n")
    assertReports(compilation, .tooManyLayers, at: 2, 1)
    let overflowing = compile("input 8x8x3\nrepeat 9223372036854775808 { relu }\n")
    assertReports(overflowing, .sizeOverflow, at: 2, 8)
  }

  func testSizesNearIntMax() {
    assertReports(compile("input 8x8x3\nfc 9223372036854775807\n"), .sizeOverflow, at: 2, 1)
    assertReports(compile("input 3037000500x3037000500x1\nrelu\n"), .sizeOverflow, at: 1, 7)
    assertReports(compile("input 99999999999999999999x2x3\nrelu\n"), .sizeOverflow, at: 1, 7)
    assertReports(compile("input 8x8x3\nconv 9223372036854775807 3x3 p1\n"), .sizeOverflow, at: 2, 1)
  }

  func testZeroAndNegativeCounts() {
    let compilation = compile("input 8x8x3\nrepeat 0 { relu }\nrepeat -3 { relu }\nconv 0 3x3\nconv -4 3x3\n")
    assertReports(compilation, .invalidValue, at: 2, 8)
    assertReports(compilation, .invalidValue, at: 3, 8)
    assertReports(compilation, .invalidValue, at: 4, 6)
    assertReports(compilation, .invalidValue, at: 5, 6)
    assertReports(compile("input 0x8x3\nrelu\n"), .invalidValue, at: 1, 7)
  }

  // MARK: Structure

  func testUnclosedBlockIsLocated() {
    let compilation = compile("input 8x8x3\nconcat {\n  relu\n  conv 8 1x1\n")
    assertReports(compilation, .unclosedBlock, at: 5, 1)
  }

  func testUnknownLabelIsLocated() {
    let compilation = compile("input 8x8x3\ntrunk: relu\n@trunc | fc 10\n")
    assertReports(compilation, .unknownLabel, at: 3, 2)
  }

  func testManyUnknownLabelsAmongManyLabels() {
    var text = "input 8x8x3\n"
    for index in 0..<20_000 { text += "l\(index): relu\n" }
    text += String(repeating: "@zz\n", count: 20_000)
    let compilation = compile(text)
    assertReports(compilation, .unknownLabel, at: 20_002, 2)
  }

  func testLongLabelsGetNoSuggestion() {
    var text = "input 8x8x3\n"
    for index in 0..<20 { text += String(repeating: "a", count: 30_000) + "\(index): relu\n" }
    text += "@" + String(repeating: "b", count: 30_000) + "\n"
    let compilation = compile(text)
    assertReports(compilation, .unknownLabel, at: 22, 2)
  }

  // MARK: Fuzzer findings

  /// Every committed fuzzer finding runs through the whole front end and renderers.
  func testFuzzRegressionsFinish() throws {
    let names = try inputs(in: "Tests/Fuzz/regressions")
    XCTAssertFalse(names.isEmpty, "no regression inputs found in Tests/Fuzz/regressions")
    for url in names { try assertFinishes(url) }
  }

  /// The fuzzer's merged corpus (inputs that each reached new code): all must still finish.
  func testFuzzCorpusFinishes() throws {
    for url in try inputs(in: "Tests/Fuzz/corpus") { try assertFinishes(url) }
  }

  private func inputs(in relativePath: String) throws -> [URL] {
    let directory = Golden.url(relativePath)
    guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted()
      .map { directory.appendingPathComponent($0) }
  }

  private func assertFinishes(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
    let data = try Data(contentsOf: url)
    let compilation = compile([UInt8](data), name: url.lastPathComponent)
    XCTAssertLessThanOrEqual(compilation.diagnostics.count, DiagnosticEngine.maximumCount + 1,
                             url.lastPathComponent, file: file, line: line)
  }
}
