/// Pipelines, steps and blocks.
extension Parser {
  // MARK: line := [ '@' NAME ] [ step ] { '|' step }   (continued by a trailing or leading '|')

  /// Parses one line of a body, or one branch of a block when `inBranch`.
  mutating func parseLine(inBranch: Bool) -> Pipeline {
    var steps: Pipeline = []
    if at(.at) {
      guard let reference = parseReference() else { return steps }
      steps.append(reference)
      if !continueLine(inBranch: inBranch) { return steps }
    }
    while true {
      guard let step = parseStep() else {
        skipLine()
        return steps
      }
      steps.append(step)
      if !continueLine(inBranch: inBranch) { return steps }
    }
  }

  /// After a step: consumes a `|` (trailing, or leading on the next line) and says whether
  /// another step follows. A `;` outside a block is an error and treated as a line break.
  /// A misplaced `| @label` is reported and skipped in a loop, not by recursing, so a 1 MB line
  /// of them cannot overflow the stack.
  mutating func continueLine(inBranch: Bool) -> Bool {
    while true {
      if at(.newline) {
        var ahead = index
        while tokens[ahead].kind == .newline { ahead += 1 }
        guard tokens[ahead].kind == .pipe else { return false }
        index = ahead
      }
      guard at(.pipe) else {
        if at(.semicolon) && !inBranch {
          error(.semicolonOutsideBlock, "';' separates branches only inside 'concat' or 'add'",
                at: current.range,
                fixIts: [FixIt("use '|' to feed one layer into the next",
                               replacing: current.range, with: "|")])
          advance()
          skipNewlines()
          return !at(.endOfFile) && !at(.rightBrace)
        }
        return false
      }
      let pipe = advance()
      skipNewlines()
      if at(.endOfFile) || at(.rightBrace) {
        error(.trailingPipe, "'|' must be followed by a layer", at: pipe.range,
              fixIts: [FixIt("remove the '|'", replacing: pipe.range, with: "")])
        return false
      }
      guard at(.at) else { return true }
      error(.referenceAfterPipe, "'@label' may only begin a line or branch", at: current.range,
            notes: [Diagnostic.Note("start a new line with '@label' to read an earlier layer")])
      advance()
      if at(.word) { advance() }
    }
  }

  mutating func parseReference() -> Step? {
    let atSign = advance()
    guard at(.word) else {
      error(.expectedValue, "expected a label after '@'", at: current.range)
      skipLine()
      return nil
    }
    let name = advance()
    return Step(label: nil, kind: .reference(Word(name.text, name.range)),
                range: atSign.range.union(name.range))
  }

  // MARK: step := [ LABEL ':' ] ( layer | block | call | repeat )

  mutating func parseStep() -> Step? {
    var label: Word?
    if at(.word) && peek().kind == .colon {
      let token = advance()
      advance()
      label = Word(token.text, token.range)
      checkLabel(token)
      skipContinuationNewlines()
    }
    guard at(.word) else {
      if !at(.invalid) {
        error(.expectedLayer, "expected a layer, found \(current.spelling)", at: current.range)
      }
      return nil
    }
    let keyword = current
    let step: Step.Kind?
    if (keyword.text == "concat" || keyword.text == "add") && peek().kind == .leftBrace {
      step = parseBlock().map { .block($0) }
    } else if keyword.text == "repeat" {
      step = parseRepeat().map { .repeat($0) }
    } else if peek().kind == .leftParen {
      step = parseCall().map { .call($0) }
    } else if keyword.text == "def" {
      error(.misplacedDefinition, "'def' is only allowed at the top level of a file",
            at: keyword.range)
      step = nil
    } else {
      step = .layer(parseLayer())
    }
    guard let kind = step else { return nil }
    let end = tokens[max(0, index - 1)].range
    return Step(label: label, kind: kind, range: (label?.range ?? keyword.range).union(end))
  }

  /// A label on a line of its own (`conv1:` then a newline) labels the next line's layer.
  mutating func skipContinuationNewlines() {
    if at(.newline) && peek().kind == .word { advance() }
  }

  /// Labels: letters, digits, `_` and `.`, starting with a letter or `_`.
  mutating func checkLabel(_ token: Token) {
    let bytes = Array(token.text.utf8)
    let first = bytes.first ?? 0
    let startsWell = first == UInt8(ascii: "_") || (first | 0x20 >= UInt8(ascii: "a")
      && first | 0x20 <= UInt8(ascii: "z"))
    let allValid = bytes.allSatisfy {
      $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "*")
    }
    if !startsWell || !allValid {
      error(.invalidLabel,
            "label '\(token.text)' must start with a letter or '_' and contain only letters, "
              + "digits, '_' and '.'", at: token.range)
    }
  }

  // MARK: block := ('concat' | 'add') '{' branch { (NEWLINE | ';') branch } '}'

  mutating func parseBlock() -> BlockSyntax? {
    let keyword = advance()
    guard let open = enterBraces() else { return nil }
    defer { depth -= 1 }
    let errorsBefore = diagnostics.count
    var branches: [Pipeline] = []
    while true {
      skipNewlines()
      if at(.rightBrace) { break }
      if at(.endOfFile) {
        unclosed(open, what: "'\(keyword.text)'")
        return nil
      }
      if at(.semicolon) {
        error(.expectedLayer, "empty branch in '\(keyword.text)'", at: advance().range)
        continue
      }
      let branch = parseLine(inBranch: true)
      if !branch.isEmpty { branches.append(branch) }
      if at(.semicolon) { advance() } else { endLine() }
    }
    let close = advance()
    let join: BlockSyntax.Join = keyword.text == "add" ? .add : .concat
    return BlockSyntax(join: join, keyword: Word(keyword.text, keyword.range),
                       branches: branches, closeRange: close.range,
                       hasErrors: diagnostics.count > errorsBefore)
  }

  /// Consumes `{` and enters one nesting level, or reports and skips an over-deep group.
  mutating func enterBraces() -> SourceRange? {
    guard at(.leftBrace) else {
      error(.expectedValue, "expected '{', found \(current.spelling)", at: current.range)
      return nil
    }
    if depth >= Self.maximumNesting {
      let open = current.range
      error(.nestingTooDeep, "blocks are nested more than \(Self.maximumNesting) deep",
            at: open, notes: [Diagnostic.Note("use 'def' and 'repeat' to express deep structure")])
      if skipGroup() == nil { unclosed(open, what: "block") }
      return nil
    }
    depth += 1
    return advance().range
  }

  mutating func unclosed(_ open: SourceRange, what: String) {
    error(.unclosedBlock, "\(what) block is not closed: expected '}'", at: current.range,
          notes: [Diagnostic.Note("the block opens here", at: open)])
  }

  // MARK: repeat := 'repeat' COUNT '{' body '}'

  mutating func parseRepeat() -> RepeatSyntax? {
    let keyword = advance()
    guard at(.word) else {
      error(.expectedValue, "expected a count after 'repeat', found \(current.spelling)",
            at: current.range)
      return nil
    }
    let count = advance()
    guard let open = enterBraces() else { return nil }
    defer { depth -= 1 }
    guard let body = parseBody(open: open, what: "'repeat'") else { return nil }
    return RepeatSyntax(keyword: Word(keyword.text, keyword.range),
                        count: Word(count.text, count.range), body: body)
  }

  /// body := { line NEWLINE } '}'  — lines feed each other in order.
  mutating func parseBody(open: SourceRange, what: String) -> Pipeline? {
    var body: Pipeline = []
    while true {
      skipNewlines()
      if at(.rightBrace) {
        advance()
        return body
      }
      if at(.endOfFile) {
        unclosed(open, what: what)
        return nil
      }
      body += parseLine(inBranch: false)
      endLine()
    }
  }
}
