import Foundation
import XCTest

/// Golden files: expected output committed under `Tests/Golden/`, compared byte for byte.
///
/// A missing golden is written and the test fails ("recorded new baseline"), so a new
/// expectation is always reviewed in the diff; `CNNC_RECORD=1 swift test` re-records all.
enum Golden {
  /// The repository root, found from this file's path (swift-argument-parser's snapshot trick).
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func url(_ relativePath: String) -> URL {
    root.appendingPathComponent(relativePath)
  }

  static func read(_ relativePath: String) throws -> String {
    try String(contentsOf: url(relativePath), encoding: .utf8)
  }

  /// Compares `actual` with the golden at `relativePath` (under the repository root).
  static func assertMatches(_ actual: String, _ relativePath: String,
                            file: StaticString = #filePath, line: UInt = #line) {
    let target = url(relativePath)
    let record = ProcessInfo.processInfo.environment["CNNC_RECORD"] == "1"
    let existing = try? String(contentsOf: target, encoding: .utf8)
    if record || existing == nil {
      try? FileManager.default.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? actual.write(to: target, atomically: true, encoding: .utf8)
      if existing != actual {
        XCTFail("recorded new baseline \(relativePath); review and commit it", file: file, line: line)
      }
      return
    }
    if existing != actual {
      XCTFail("\(relativePath) differs from the output:\n\(firstDifference(existing ?? "", actual))",
              file: file, line: line)
    }
  }

  /// The first differing line, for a readable failure.
  static func firstDifference(_ expected: String, _ actual: String) -> String {
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(a.count, b.count) {
      let left = index < a.count ? String(a[index]) : "<end>"
      let right = index < b.count ? String(b[index]) : "<end>"
      if left != right { return "line \(index + 1):\n  expected: \(left)\n  actual:   \(right)" }
    }
    return "(no line differs)"
  }
}
