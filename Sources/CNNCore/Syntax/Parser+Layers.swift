/// Layers, calls and definitions.
extension Parser {
  // MARK: layer := KIND { argument }
  //       argument := WORD { ',' WORD } | NAME '=' value
  //       value := WORD { ',' WORD } | '[' [ WORD { ',' WORD } ] ']'

  mutating func parseLayer() -> LayerSyntax {
    let kind = advance()
    var arguments: [Argument] = []
    while true {
      if at(.word) {
        if peek().kind == .equals {
          if let argument = parseNamedArgument() { arguments.append(argument) } else { break }
        } else {
          let values = parseCommaList()
          let range = values[0].range.union(values[values.count - 1].range)
          arguments.append(Argument(name: nil, values: values, isBracketList: false, range: range))
        }
      } else if at(.leftBracket) {
        error(.expectedValue, "a '[…]' list must follow 'weights=' or 'bias='", at: current.range)
        _ = parseBracketList()
      } else {
        break
      }
    }
    return LayerSyntax(kind: Word(kind.text, kind.range), arguments: arguments)
  }

  mutating func parseCommaList() -> [Word] {
    var values = [Word(current.text, current.range)]
    advance()
    while at(.comma) && peek().kind == .word {
      advance()
      values.append(Word(current.text, current.range))
      advance()
    }
    return values
  }

  mutating func parseNamedArgument() -> Argument? {
    let name = advance()
    advance()  // '='
    if at(.leftBracket) {
      guard let (values, range) = parseBracketList() else { return nil }
      return Argument(name: Word(name.text, name.range), values: values, isBracketList: true,
                      range: name.range.union(range))
    }
    guard at(.word) else {
      error(.expectedValue, "expected a value after '\(name.text)=', found \(current.spelling)",
            at: current.range)
      return nil
    }
    let values = parseCommaList()
    return Argument(name: Word(name.text, name.range), values: values, isBracketList: false,
                    range: name.range.union(values[values.count - 1].range))
  }

  /// `[1, 0, -1]`; spaces, commas and line breaks separate the numbers.
  mutating func parseBracketList() -> ([Word], SourceRange)? {
    let open = advance()
    var values: [Word] = []
    while true {
      if at(.word) {
        values.append(Word(current.text, current.range))
      } else if at(.rightBracket) {
        return (values, open.range.union(advance().range))
      } else if !at(.comma) && !at(.newline) {
        error(.unclosedBlock, "'[' list is not closed: expected ']', found \(current.spelling)",
              at: current.range, notes: [Diagnostic.Note("the list opens here", at: open.range)])
        return nil
      }
      advance()
    }
  }

  // MARK: call := NAME '(' [ callArgument { ',' callArgument } ] ')'
  //       callArgument := WORD | NAME '=' WORD

  mutating func parseCall() -> CallSyntax? {
    let name = advance()
    let open = advance()
    var arguments: [(name: Word?, value: Word)] = []
    while !at(.rightParen) {
      if !arguments.isEmpty {
        guard at(.comma) else { return badCallArgument(open) }
        advance()
      }
      guard at(.word) else { return badCallArgument(open) }
      var label: Word?
      if peek().kind == .equals {
        label = Word(current.text, current.range)
        advance()
        advance()
        guard at(.word) else { return badCallArgument(open) }
      }
      arguments.append((label, Word(current.text, current.range)))
      advance()
    }
    advance()
    return CallSyntax(name: Word(name.text, name.range), arguments: arguments)
  }

  mutating func badCallArgument(_ open: Token) -> CallSyntax? {
    error(.expectedValue, "expected an argument or ')', found \(current.spelling)",
          at: current.range, notes: [Diagnostic.Note("the argument list opens here", at: open.range)])
    return nil
  }

  // MARK: definition := 'def' NAME '(' [ param { ',' param } ] ')' '{' body '}'
  //       param := NAME [ '=' WORD ]

  mutating func parseDefinition() -> Definition? {
    let keyword = advance()
    guard at(.word), peek().kind == .leftParen else {
      error(.expectedValue, "expected 'name(' after 'def', found \(current.spelling)",
            at: current.range, notes: [Diagnostic.Note("a definition reads 'def name(p, q=3) { … }'")])
      skipLine()
      if at(.leftBrace) { _ = skipGroup() }
      return nil
    }
    let name = advance()
    advance()
    var parameters: [Definition.Parameter] = []
    while !at(.rightParen) {
      if !parameters.isEmpty {
        guard at(.comma) else { return badParameter() }
        advance()
      }
      guard at(.word) else { return badParameter() }
      let parameter = advance()
      var defaultValue: Word?
      if at(.equals) {
        advance()
        guard at(.word) else { return badParameter() }
        defaultValue = Word(current.text, current.range)
        advance()
      }
      parameters.append(.init(name: Word(parameter.text, parameter.range), defaultValue: defaultValue))
    }
    advance()
    guard let open = enterBraces() else {
      skipLine()
      return nil
    }
    defer { depth -= 1 }
    guard let body = parseBody(open: open, what: "'def'") else { return nil }
    return Definition(name: Word(name.text, name.range), parameters: parameters, body: body,
                      range: keyword.range.union(tokens[index - 1].range))
  }

  mutating func badParameter() -> Definition? {
    error(.expectedValue, "expected a parameter name or ')', found \(current.spelling)",
          at: current.range)
    skipLine()
    if at(.leftBrace) { _ = skipGroup() }
    return nil
  }
}
