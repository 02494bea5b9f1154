/// One lexical unit of a spec file.
///
/// Words cover numbers, names, kernel sizes (`11x11`), short options (`s4`) and reals (`1e-4`):
/// their meaning depends on the layer they follow, so the lexer does not guess it.
public struct Token: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case word, newline, pipe = "|", semicolon = ";", colon = ":", equals = "=", comma = ","
    case at = "@", leftBrace = "{", rightBrace = "}", leftParen = "(", rightParen = ")"
    case leftBracket = "[", rightBracket = "]", endOfFile
    /// A character the lexer already reported; the parser skips its line silently.
    case invalid
  }

  public var kind: Kind
  public var range: SourceRange
  /// The spelling of a word; empty for punctuation.
  public var text: String

  public init(_ kind: Kind, _ range: SourceRange, text: String = "") {
    self.kind = kind
    self.range = range
    self.text = text
  }

  /// How the token reads in a message: `'|'`, `'conv'`, `end of line`.
  public var spelling: String {
    switch kind {
    case .word: return "'\(text)'"
    case .newline: return "end of line"
    case .endOfFile: return "end of file"
    default: return "'\(kind.rawValue)'"
    }
  }
}
