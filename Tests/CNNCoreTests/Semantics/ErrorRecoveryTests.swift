import CNNCore
import XCTest

/// One run reports every independent error, and nothing that only follows from another
/// (clox's panic mode, applied to syntax and to shapes).
final class ErrorRecoveryTests: XCTestCase {
  func diagnose(_ text: String) -> [String] {
    Compilation(name: "spec.cnn", text: text).diagnostics.map { diagnostic in
      let location = SourceFile(name: "", text: text).location(of: diagnostic.range.start)
      return "\(location.line):\(location.column) \(diagnostic.id.rawValue)"
    }
  }

  func testIndependentErrorsAreAllReported() {
    let text = """
      input 32x32x3
      concat { conv 4 1x1 ; conv 4 3x3 s2 p1 }
      covn 16 3x3 | relu
      conv 16 3x3 strid=2
      conv 16 3x3 s2
      trunk: conv 8 1x1
      @trnk | fc 10
      """
    XCTAssertEqual(diagnose(text), [
      "2:1 shape.concat-mismatch",
      "3:1 syntax.unknown-layer",
      "4:13 syntax.unknown-option",
      "7:2 name.unknown-label",
    ])
  }

  /// A poisoned layer yields no shape: a wrong kernel size after it is not diagnosed again.
  func testNoCascadeThroughPoisonedShapes() {
    let text = """
      input 8x8x3
      conv 16 3x3 g5
      conv 16 30x30
      fc 10
      """
    XCTAssertEqual(diagnose(text), ["2:13 channels.groups"])
  }

  /// A syntax error in one line does not stop the checking of the others.
  func testSyntaxErrorsDoNotHideShapeErrors() {
    let text = """
      input 8x8x3
      conv 16 3x3 ) relu
      conv 16 30x30
      """
    XCTAssertEqual(diagnose(text), ["2:13 syntax.unexpected-token", "3:9 spatial.kernel-too-large"])
  }

  /// Errors inside a definition are reported once, with the call that expanded it.
  func testErrorsInDefinitionsAreReportedOnceWithTheirCall() throws {
    let text = """
      input 8x8x3
      def block(c) { conv c 3x3 g2 }
      block(4)
      block(4)
      """
    let compilation = Compilation(name: "spec.cnn", text: text)
    XCTAssertEqual(compilation.diagnostics.count, 1)
    let diagnostic = try XCTUnwrap(compilation.diagnostics.first)
    XCTAssertEqual(diagnostic.id, .groupMismatch)
    XCTAssertEqual(diagnostic.notes.last?.message, "in this call")
  }
}
