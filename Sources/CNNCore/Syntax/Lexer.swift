/// Splits a spec file into tokens, diagnosing bytes that cannot be part of a spec.
///
/// Runs in one linear pass with no recursion, so a 1 MB line or a file of 20,000 braces
/// costs microseconds per kilobyte. Invalid UTF-8 and NUL bytes are reported once per line at
/// their exact offset and then skipped, so one bad byte does not hide the rest of the file.
public struct Lexer {
  /// Longer lines are an error: no honest spec needs one, and editors choke on them.
  public static let maximumLineLength = 65_536

  private let source: SourceFile
  private var bytes: [UInt8] { source.bytes }
  private var offset = 0
  private var tokens: [Token] = []
  private var diagnostics: [Diagnostic] = []
  private var lastBadLine = -1

  public init(source: SourceFile) {
    self.source = source
  }

  /// The tokens of the file, always ending in `endOfFile`, and the lexical diagnostics.
  public static func tokenize(_ source: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var lexer = Lexer(source: source)
    lexer.checkLineLengths()
    lexer.run()
    return (lexer.tokens, lexer.diagnostics)
  }

  private mutating func checkLineLengths() {
    for index in source.lineStarts.indices {
      let range = source.lineRange(index)
      if range.count > Self.maximumLineLength {
        diagnostics.append(Diagnostic(
          .lineTooLong, "line is \(range.count) bytes long; the limit is \(Self.maximumLineLength)",
          at: SourceRange(start: range.lowerBound + Self.maximumLineLength, end: range.upperBound),
          notes: [Note("break long 'weights=[…]' lists over several lines")]))
      }
    }
  }

  private mutating func run() {
    while offset < bytes.count {
      let byte = bytes[offset]
      switch byte {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
        offset += 1
      case UInt8(ascii: "\n"):
        tokens.append(Token(.newline, SourceRange(start: offset, end: offset + 1)))
        offset += 1
      case UInt8(ascii: "#"):
        skipComment()
      default:
        if let kind = Self.punctuation[byte] {
          tokens.append(Token(kind, SourceRange(start: offset, end: offset + 1)))
          offset += 1
        } else if Self.isWordByte(byte) {
          lexWord()
        } else {
          lexUnexpected()
        }
      }
    }
    tokens.append(Token(.endOfFile, .at(bytes.count)))
  }

  private static let punctuation: [UInt8: Token.Kind] = [
    UInt8(ascii: "|"): .pipe, UInt8(ascii: ";"): .semicolon, UInt8(ascii: ":"): .colon,
    UInt8(ascii: "="): .equals, UInt8(ascii: ","): .comma, UInt8(ascii: "@"): .at,
    UInt8(ascii: "{"): .leftBrace, UInt8(ascii: "}"): .rightBrace,
    UInt8(ascii: "("): .leftParen, UInt8(ascii: ")"): .rightParen,
    UInt8(ascii: "["): .leftBracket, UInt8(ascii: "]"): .rightBracket,
  ]

  /// Letters, digits and the characters numbers and names need: `_ . - + *`.
  static func isWordByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
      UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "*"):
      return true
    default:
      return false
    }
  }

  private mutating func lexWord() {
    let start = offset
    while offset < bytes.count, Self.isWordByte(bytes[offset]) { offset += 1 }
    let text = String(decoding: bytes[start..<offset], as: UTF8.self)
    tokens.append(Token(.word, SourceRange(start: start, end: offset), text: text))
  }

  /// Comments may hold any valid UTF-8 text, but not NUL or invalid bytes.
  private mutating func skipComment() {
    while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") {
      if bytes[offset] < 0x80 && bytes[offset] != 0 {
        offset += 1
      } else if let length = validScalarLength(at: offset), bytes[offset] != 0 {
        offset += length
      } else {
        reportBadByte(inComment: true)
      }
    }
  }

  private mutating func lexUnexpected() {
    if bytes[offset] == 0 || validScalarLength(at: offset) == nil {
      reportBadByte()
      return
    }
    let length = validScalarLength(at: offset) ?? 1
    let range = SourceRange(start: offset, end: offset + length)
    guard diagnostics.count < DiagnosticEngine.stageLimit else {
      tokens.append(Token(.invalid, range))
      offset += length
      return
    }
    let text = source.text(range)
    diagnostics.append(Diagnostic(
      .unexpectedCharacter, "unexpected character '\(text)'", at: range,
      notes: [Note("names use letters, digits, '_' and '.'; comments start with '#'")]))
    tokens.append(Token(.invalid, range))
    offset += length
  }

  /// One diagnostic per line for NUL or invalid UTF-8, then the byte is skipped.
  private mutating func reportBadByte(inComment: Bool = false) {
    let line = source.lineIndex(of: offset)
    if line != lastBadLine {
      lastBadLine = line
      let range = SourceRange(start: offset, end: offset + 1)
      if bytes[offset] == 0 {
        tokens.append(Token(.invalid, range))
        diagnostics.append(Diagnostic(
          .nulByte, "NUL byte in spec file", at: range,
          notes: [Note("spec files are UTF-8 text; was a binary file passed?")]))
      } else {
        if !inComment { tokens.append(Token(.invalid, range)) }
        let hex = String(bytes[offset], radix: 16, uppercase: true)
        diagnostics.append(Diagnostic(
          .invalidUTF8, "invalid UTF-8 byte 0x\(hex)", at: range,
          notes: [Note("spec files must be UTF-8; re-save the file as UTF-8")]))
      }
    }
    offset += 1
  }

  /// The length of the valid UTF-8 scalar starting at `index`, or nil.
  private func validScalarLength(at index: Int) -> Int? {
    let lead = bytes[index]
    let length: Int
    switch lead {
    case 0x00...0x7F: return 1
    case 0xC2...0xDF: length = 2
    case 0xE0...0xEF: length = 3
    case 0xF0...0xF4: length = 4
    default: return nil
    }
    guard index + length <= bytes.count else { return nil }
    for next in 1..<length where bytes[index + next] & 0xC0 != 0x80 { return nil }
    let second = bytes[index + 1]
    if lead == 0xE0 && second < 0xA0 { return nil }  // overlong
    if lead == 0xED && second > 0x9F { return nil }  // surrogate
    if lead == 0xF0 && second < 0x90 { return nil }  // overlong
    if lead == 0xF4 && second > 0x8F { return nil }  // above U+10FFFF
    return length
  }
}

private typealias Note = Diagnostic.Note
