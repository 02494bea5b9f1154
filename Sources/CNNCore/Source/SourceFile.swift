/// The text of one spec file plus the line table renderers need.
///
/// The text is kept as raw bytes: invalid UTF-8 and NUL bytes are diagnosed by the lexer
/// at their exact offset instead of being lost in a lossy `String` decode.
public struct SourceFile: Sendable {
  /// The name diagnostics print (`<stdin>` for standard input).
  public let name: String
  public let bytes: [UInt8]
  /// Byte offset where each line starts; `lineStarts[0] == 0`.
  public let lineStarts: [Int]

  public init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
    var starts = [0]
    for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      starts.append(offset + 1)
    }
    self.lineStarts = starts
  }

  public init(name: String, text: String) {
    self.init(name: name, bytes: Array(text.utf8))
  }

  /// A 1-based line and a 1-based column counted in Unicode scalars (the contract's rule).
  public struct Location: Sendable, Equatable {
    public var line: Int
    public var column: Int
  }

  /// The 0-based index of the line holding `offset`.
  public func lineIndex(of offset: Int) -> Int {
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return low
  }

  public func location(of offset: Int) -> Location {
    let clamped = min(max(0, offset), bytes.count)
    let line = lineIndex(of: clamped)
    let start = lineStarts[line]
    // Count scalars: every byte that is not a UTF-8 continuation byte starts one.
    var column = 1
    var index = start
    while index < clamped {
      if bytes[index] & 0xC0 != 0x80 { column += 1 }
      index += 1
    }
    return Location(line: line + 1, column: column)
  }

  /// The byte range of line `index` (0-based) without its newline.
  public func lineRange(_ index: Int) -> Range<Int> {
    let start = lineStarts[index]
    var end = index + 1 < lineStarts.count ? lineStarts[index + 1] - 1 : bytes.count
    if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return start..<max(start, end)
  }

  /// The text of line `index`, with invalid bytes replaced, for printing under a diagnostic.
  public func lineText(_ index: Int) -> String {
    String(decoding: bytes[lineRange(index)], as: UTF8.self)
  }

  /// The text of a range, decoded leniently.
  public func text(_ range: SourceRange) -> String {
    let start = min(max(0, range.start), bytes.count)
    let end = min(max(start, range.end), bytes.count)
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }
}
