/// Recursive-descent parser for `.cnn` files (productions in the comments).
///
/// Errors never stop the parse: a bad line is reported and skipped (panic mode, as clox does),
/// so every independent error of a file is reported in one run. Block nesting is capped at
/// `maximumNesting`; deeper blocks are skipped by counting braces, never by recursing, so
/// 20,000 nested braces cannot overflow the stack.
public struct Parser {
  /// Deeper nesting is an error (`syntax.nesting-too-deep`).
  public static let maximumNesting = 200

  var tokens: [Token]
  var index = 0
  var diagnostics: [Diagnostic] = []
  var depth = 0
  var sawLayer = false
  var file = SpecFile()

  init(tokens: [Token]) {
    self.tokens = tokens
  }

  /// Parses a whole file; the diagnostics include the lexer's.
  public static func parse(_ source: SourceFile) -> (file: SpecFile, diagnostics: [Diagnostic]) {
    let (tokens, lexical) = Lexer.tokenize(source)
    var parser = Parser(tokens: tokens)
    parser.parseFile()
    return (parser.file, lexical + parser.diagnostics)
  }

  // MARK: Token access

  var current: Token { tokens[index] }
  func peek(_ distance: Int = 1) -> Token {
    tokens[min(index + distance, tokens.count - 1)]
  }
  func at(_ kind: Token.Kind) -> Bool { current.kind == kind }
  func atWord(_ text: String) -> Bool { current.kind == .word && current.text == text }

  @discardableResult
  mutating func advance() -> Token {
    let token = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return token
  }

  mutating func skipNewlines() {
    while at(.newline) { advance() }
  }

  mutating func error(_ id: DiagnosticID, _ message: String, at range: SourceRange,
                      notes: [Diagnostic.Note] = [], fixIts: [FixIt] = []) {
    guard diagnostics.count < DiagnosticEngine.stageLimit else { return }
    diagnostics.append(Diagnostic(id, message, at: range, notes: notes, fixIts: fixIts))
  }

  /// Panic mode: skips the rest of the line, jumping over whole `{…}` groups.
  mutating func skipLine() {
    var balance = 0
    while !at(.endOfFile) {
      if balance == 0 && (at(.newline) || at(.rightBrace)) { return }
      if at(.leftBrace) { balance += 1 }
      if at(.rightBrace) { balance -= 1 }
      advance()
    }
  }

  /// Skips a `{…}` group (the current token is `{`) without recursing; returns the `}` range.
  mutating func skipGroup() -> SourceRange? {
    var balance = 0
    while !at(.endOfFile) {
      if at(.leftBrace) { balance += 1 }
      if at(.rightBrace) {
        balance -= 1
        if balance == 0 { return advance().range }
      }
      advance()
    }
    return nil
  }

  // MARK: file := { header | definition | output | line }

  mutating func parseFile() {
    while true {
      skipNewlines()
      if at(.endOfFile) { break }
      if at(.rightBrace) {
        error(.unexpectedToken, "unmatched '}'", at: advance().range)
        continue
      }
      if current.kind == .word && peek().kind != .colon && peek().kind != .leftParen {
        switch current.text {
        case "network", "input", "rounding":
          parseHeader()
          continue
        case "def":
          if let definition = parseDefinition() { file.definitions.append(definition) }
          continue
        case "output":
          parseOutput()
          continue
        default: break
        }
      }
      sawLayer = true
      file.body += parseLine(inBranch: false)
      endLine()
    }
  }

  /// After a line: a newline, `}` or end of file must follow; anything else is skipped.
  mutating func endLine() {
    if at(.newline) || at(.endOfFile) { return }
    if at(.invalid) {
      skipLine()
      return
    }
    if at(.rightBrace) && depth > 0 { return }
    error(.unexpectedToken, "expected '|' or end of line, found \(current.spelling)",
          at: current.range)
    skipLine()
  }

  // MARK: header := 'network' NAME | 'input' HxWxC | 'rounding' floor|ceil|exact

  mutating func parseHeader() {
    let keyword = advance()
    guard current.kind == .word else {
      error(.expectedValue, "expected a value after '\(keyword.text)'", at: current.range)
      skipLine()
      return
    }
    let value = Word(current.text, current.range)
    advance()
    if sawLayer {
      error(.headerAfterLayer, "'\(keyword.text)' must come before the first layer",
            at: keyword.range.union(value.range))
    }
    switch keyword.text {
    case "network": assignHeader(\.networkName, value, keyword)
    case "input": assignHeader(\.input, value, keyword)
    default: assignHeader(\.rounding, value, keyword)
    }
    endLine()
  }

  mutating func assignHeader(_ path: WritableKeyPath<Header, Word?>, _ value: Word, _ keyword: Token) {
    if let previous = file.header[keyPath: path] {
      error(.duplicateHeader, "'\(keyword.text)' is given twice",
            at: keyword.range.union(value.range),
            notes: [Diagnostic.Note("first given here", at: previous.range)])
      return
    }
    file.header[keyPath: path] = value
  }

  // MARK: output := 'output' '@' NAME { ',' '@' NAME }

  mutating func parseOutput() {
    let keyword = advance()
    if file.outputRange != nil {
      error(.duplicateHeader, "'output' is given twice", at: keyword.range)
    }
    var names: [Word] = []
    var end = keyword.range
    repeat {
      if !names.isEmpty { advance() }
      guard at(.at), peek().kind == .word else {
        error(.expectedValue, "expected '@label' in 'output', found \(current.spelling)",
              at: current.range)
        skipLine()
        return
      }
      advance()
      let name = advance()
      names.append(Word(name.text, name.range))
      end = name.range
    } while at(.comma)
    file.outputs = names
    file.outputRange = keyword.range.union(end)
    endLine()
  }
}
