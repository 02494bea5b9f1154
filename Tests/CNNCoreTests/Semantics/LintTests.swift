import CNNCore
import XCTest
@testable import cnnc

/// Each lint rule with the bad and good examples of `docs/lint.md`: the bad one must give the
/// exact message at the exact line:column, the good one no warning at all.
final class LintTests: XCTestCase {
  struct Warning: Equatable, CustomStringConvertible {
    var id: String, at: String, message: String
    var description: String { "\(at) [\(id)] \(message)" }
  }

  /// Lints `text` (which must check cleanly) and returns its warnings in source order.
  func lint(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [Warning] {
    let source = SourceFile(name: "t.cnn", text: text)
    let compilation = Compilation(source: source, lint: true)
    XCTAssertFalse(compilation.hasErrors, "\(compilation.diagnostics)", file: file, line: line)
    return compilation.diagnostics.map { diagnostic in
      XCTAssertEqual(diagnostic.severity, .warning, file: file, line: line)
      let location = source.location(of: diagnostic.range.start)
      return Warning(id: diagnostic.id.rawValue, at: "\(location.line):\(location.column)",
                     message: diagnostic.message)
    }
  }

  func assertClean(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(lint(text, file: file, line: line), [], file: file, line: line)
  }

  func testBiasBeforeBatchNorm() {
    let text = "input 32x32x3\nconv 16 3x3 p1 | bn | relu\n"
    XCTAssertEqual(lint(text), [Warning(
      id: "lint.bias-before-bn", at: "2:1",
      message: "'conv1' has a bias that 'bn1' cancels: batch norm subtracts the channel mean, "
        + "so its 16 bias parameters are wasted")])
    let fix = Compilation(name: "t.cnn", text: text, lint: true).diagnostics.first?.fixIts.first
    XCTAssertEqual(fix?.edits, [FixIt.Edit(.at(28), " bias=false")])
    assertClean("input 32x32x3\nconv 16 3x3 p1 bias=false | bn | relu\n")
    // Both named as state_dict modules: the checkpoint (torchvision vgg16_bn) fixes the layout.
    assertClean("input 32x32x3\nfeatures.0: conv 16 3x3 p1 | features.1: bn | relu\n")
  }

  func testBiasBeforeBatchNormInDefinitionIsReportedOnceWithTheTotal() throws {
    let text = "input 8x8x3\ndef block(c) { conv c 3x3 p1 | bn | relu }\nblock(8)\nblock(16)\n"
    let diagnostics = Compilation(name: "t.cnn", text: text, lint: true).diagnostics
    XCTAssertEqual(diagnostics.count, 1)
    let notes = try XCTUnwrap(diagnostics.first?.notes.map(\.message))
    XCTAssertTrue(notes.contains("this layer is expanded 2 times: 24 bias parameters in all"),
                  "\(notes)")
  }

  func testConsecutiveLinear() {
    XCTAssertEqual(lint("input 1x1x64\nfc 32 | dropout 0.5 | fc 10\n"), [Warning(
      id: "lint.consecutive-linear", at: "2:23",
      message: "'fc2' follows 'fc1' with no activation between them, so 64 to 32 to 10 values "
        + "is one linear map")])
    assertClean("input 1x1x64\nfc 32 | relu | dropout 0.5 | fc 10\n")
  }

  func testStrideExceedsKernel() {
    XCTAssertEqual(lint("input 32x32x3\nconv 16 1x1 s2 | relu\n"), [Warning(
      id: "lint.stride-exceeds-kernel", at: "2:13",
      message: "'conv1' has stride 2 but a window of 1, so 1 of every 2 rows and 1 of every 2 "
        + "columns are never read")])
    XCTAssertEqual(lint("input 8x8x3\nmaxpool 2x1 stride=2x2\n").map(\.message), [
      "'maxpool1' has stride 2 but a window of 2x1, so 1 of every 2 columns are never read"])
    // ResNet's projection shortcut: the main branch reads every pixel.
    assertClean(
      "input 8x8x16\nadd {\n  conv 32 3x3 s2 p1 | relu | conv 32 3x3 p1\n  conv 32 1x1 s2\n}\n")
  }

  func testSoftmaxNotLast() {
    XCTAssertEqual(lint("input 1x1x64\nfc 32 | softmax | fc 10\n"), [Warning(
      id: "lint.softmax-not-last", at: "2:9",
      message: "softmax 'softmax1' is not at the end of the network: 'fc2' reads its "
        + "probabilities")])
    assertClean("input 1x1x64\nfc 32 | relu | fc 10 | softmax\n")
    // A softmax head beside another head (MTCNN P-Net) is an output, not a middle layer.
    assertClean(
      "input 12x12x8\nt: conv 8 3x3\nconv 2 1x1 | p: softmax\n@t | b: conv 4 1x1\noutput @b, @p\n")
  }

  func testDropoutBeforeOutput() {
    XCTAssertEqual(lint("input 1x1x64\nfc 32 | relu | fc 10 | dropout 0.5\n"), [Warning(
      id: "lint.dropout-before-output", at: "2:24",
      message: "'dropout1' ends the output: dropout only has an effect before a layer with "
        + "weights, so here it does nothing at inference and drops predictions in training")])
    assertClean("input 1x1x64\nfc 32 | relu | dropout 0.5 | fc 10\n")
  }

  func testUnusedLabel() {
    let definition = "input 8x8x3\ndef down(c) { conv c 3x3 p1 | relu }\n"
    XCTAssertEqual(lint(definition + "skip1: down(16)\ndown(32)\n"), [Warning(
      id: "lint.unused-label", at: "3:1",
      message: "label 'skip1' is never read and prefixes no layer name: 'down' holds no "
        + "labelled layer")])
    let block = "input 8x8x3\ntrunk: concat { conv 4 1x1; conv 4 3x3 p1 }\nrelu\n"
    XCTAssertEqual(lint(block).map(\.message), [
      "label 'trunk' is never read and prefixes no layer name: its 'concat' block holds no "
        + "labelled layer",
    ])
    assertClean(definition + "skip1: down(16)\nconcat {\n  down(16)\n  @skip1\n}\n")
    // Module names: labels on layers, and calls whose bodies hold labelled layers.
    assertClean(
      "input 8x8x3\ndef b(c) { conv1: conv c 3x3 p1 | relu }\nlayer1: b(8)\npool1: maxpool 2\n")
  }

  func testSpatialCollapse() {
    let text = "input 8x8x3\nconv 16 3x3 s2 p1 | conv 16 3x3 s2 p1 | conv 16 3x3 s2 p1\n"
      + "conv 32 3x3 p1 | gap\n"
    XCTAssertEqual(lint(text), [Warning(
      id: "lint.spatial-collapse", at: "3:1",
      message: "'conv4' slides a 3x3 window over a 1x1 input: the spatial size has collapsed, so "
        + "the window reads padding around one pixel")])
    // 1x1 heads after the collapse are fully connected layers (MTCNN P-Net).
    assertClean("input 12x12x3\nconv 10 3x3 | maxpool 2 | conv 16 3x3 | conv 32 3x3 | conv 2 1x1\n")
  }

  func testFullyConnectedDominates() {
    let flattened = "input 32x32x3\nconv 8 3x3 p1 | relu | flatten\nfc 512 | relu\nfc 10\n"
    XCTAssertEqual(lint(flattened), [Warning(
      id: "lint.fc-dominates", at: "3:1",
      message: "'fc1' alone holds 99% of the parameters (4,194,816 of 4,200,170); one fc layer "
        + "should not outweigh the rest of the network")])
    assertClean("input 32x32x3\nconv 8 3x3 p1 | relu | gap | flatten\nfc 512 | relu\nfc 10\n")
    // Below 1,000,000 parameters the fc share is not reported (LeNet-5).
    assertClean("input 32x32x1\nconv 6 5x5 | tanh | avgpool 2 | conv 16 5x5 | tanh | avgpool 2\n"
      + "flatten | fc 120 | tanh | fc 84 | tanh | fc 10\n")
  }

  func testActivationAfterSoftmax() {
    XCTAssertEqual(lint("input 1x1x16\nfc 10 | softmax | relu\n"), [Warning(
      id: "lint.activation-after-softmax", at: "2:19",
      message: "'relu1' after softmax 'softmax1' changes nothing: softmax outputs are already "
        + "in (0, 1)")])
    XCTAssertEqual(lint("input 1x1x16\nfc 10 | softmax | sigmoid\n").map(\.message), [
      "'sigmoid1' after softmax 'softmax1' distorts its probabilities: they no longer sum to 1"])
    assertClean("input 1x1x16\nfc 10 | softmax\n")
  }

  func testUnusedDefinition() {
    XCTAssertEqual(lint("input 8x8x3\ndef unused(c) { conv c 3x3 p1 }\nconv 8 3x3 p1\n"), [Warning(
      id: "lint.unused-definition", at: "2:5", message: "'unused' is defined but never called")])
    let nested = "input 8x8x3\ndef inner() { relu }\ndef outer() { inner() }\nrelu\n"
    XCTAssertEqual(lint(nested).map(\.message), [
      "'inner' is only called from 'outer', which the network never calls",
      "'outer' is defined but never called",
    ])
    assertClean("input 8x8x3\ndef used(c) { conv c 3x3 p1 }\nused(8)\n")
  }

  /// What fires on the zoo is pinned: only `lint.fc-dominates`, on the AlexNet/VGG/ZFNet
  /// classifiers, where it is true; torchvision-faithful patterns stay silent.
  func testZoo() throws {
    let specs = try FileManager.default.contentsOfDirectory(atPath: Golden.url("Specs").path)
      .filter { $0.hasSuffix(".cnn") }.sorted()
    var lines: [String] = []
    for spec in specs {
      let compilation = try Compilation(path: Golden.url("Specs/" + spec).path, lint: true)
      for diagnostic in compilation.diagnostics {
        let location = compilation.source.location(of: diagnostic.range.start)
        let severity = diagnostic.severity.rawValue
        lines.append("\(spec):\(location.line):\(location.column): \(severity): "
                     + "\(diagnostic.message) [\(diagnostic.id.rawValue)]")
        XCTAssertEqual(diagnostic.id, .fcDominates, "\(spec): \(diagnostic.message)")
      }
    }
    Golden.assertMatches(lines.map { $0 + "\n" }.joined(), "Tests/Golden/lint/zoo.txt")
  }

  func testEveryRuleIsDocumentedWithExamples() throws {
    let docs = try Golden.read("docs/lint.md")
    let ids = Linter.rules.map(\.id.rawValue)
    XCTAssertEqual(ids, ids.sorted())
    let sections = docs.components(separatedBy: "\n## ")
    for id in ids {
      guard let section = sections.first(where: { $0.hasPrefix("`\(id)`") }) else {
        XCTFail("docs/lint.md lacks a section '## `\(id)`'")
        continue
      }
      XCTAssertTrue(section.contains("Bad:") && section.contains("Good:"),
                    "\(id) needs a bad and a good example")
    }
  }

  func testWerrorTurnsLintWarningsIntoErrors() {
    let spec = "input 32x32x3\nconv 16 3x3 p1 | bn | relu\n"
    var tool = Tool()
    tool.readStandardInput = { Array(spec.utf8) }
    XCTAssertEqual(tool.run(["lint", "-"]), 0)
    XCTAssertTrue(tool.standardError.contains("<stdin>:2:1: warning: 'conv1' has a bias"),
                  tool.standardError)
    var strict = Tool()
    strict.readStandardInput = { Array(spec.utf8) }
    XCTAssertEqual(strict.run(["lint", "--werror", "-"]), 1)
    XCTAssertTrue(strict.standardError.contains("<stdin>:2:1: error: 'conv1' has a bias"),
                  strict.standardError)
    var check = Tool()
    check.readStandardInput = { Array(spec.utf8) }
    XCTAssertEqual(check.run(["check", "--werror", "-"]), 0, "check does not lint")
  }
}
