/// A half-open span of a source file, in UTF-8 byte offsets.
///
/// Byte offsets keep every stage after the lexer free of line tables (Go's `Pos`);
/// only renderers turn them into line and column (`SourceFile.location(of:)`).
public struct SourceRange: Sendable, Hashable, Comparable {
  public var start: Int
  public var end: Int

  public init(start: Int, end: Int) {
    self.start = start
    self.end = max(start, end)
  }

  /// An empty range at one offset, for insertions and end-of-file diagnostics.
  public static func at(_ offset: Int) -> SourceRange { SourceRange(start: offset, end: offset) }

  /// The smallest range that covers both.
  public func union(_ other: SourceRange) -> SourceRange {
    SourceRange(start: min(start, other.start), end: max(end, other.end))
  }

  public static func < (lhs: SourceRange, rhs: SourceRange) -> Bool {
    (lhs.start, lhs.end) < (rhs.start, rhs.end)
  }
}
