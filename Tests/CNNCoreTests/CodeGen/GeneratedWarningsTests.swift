import Foundation
import XCTest

/// Every committed `Generated/*.swift` type-checks in Swift 6 mode with warnings as errors.
///
/// Users drop these files into their projects, often with warnings treated as errors; an unused
/// `let` in one kernel shape (MobileNetV2's 1x1 layers once declared a staging buffer they never
/// used) broke exactly that. The numeric tests compile only some networks, so this test type-checks
/// all of them, together in one module as a user might (no code generation). Type-checking the
/// 7 MB of source is ~200 s of one core, so the driver's frontends run on two (`-j 2`).
final class GeneratedWarningsTests: XCTestCase {
  func testEveryGeneratedFileIsWarningFree() throws {
    guard let swiftc = GeneratedModelRunner.swiftc else { throw XCTSkip("swiftc not found") }
    let files = try FileManager.default.contentsOfDirectory(atPath: Golden.url("Generated").path)
      .filter { $0.hasSuffix(".swift") }
      .sorted()
      .map { "Generated/" + $0 }
    XCTAssertGreaterThanOrEqual(files.count, 27, "expected a generated file per zoo spec")
    let result = try GeneratedModelRunner.execute(
      swiftc, ["-typecheck", "-j", "2", "-swift-version", "6", "-warnings-as-errors", "-parse-as-library"] + files,
      in: Golden.url("."))
    XCTAssertEqual(result.status, 0, "generated code has warnings or errors:\n\(result.output.prefix(4000))")
  }
}
