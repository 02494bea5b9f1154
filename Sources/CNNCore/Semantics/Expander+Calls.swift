/// Definitions, calls and parameter substitution.
extension Expander {
  mutating func collectDefinitions() {
    for definition in file.definitions {
      if let first = definitions[definition.name.text] {
        error(.duplicateDefinition, "'\(definition.name.text)' is defined twice",
              at: definition.name.range, notes: [Diagnostic.Note("first defined here", at: first.name.range)])
        continue
      }
      var seen: [String: SourceRange] = [:]
      for parameter in definition.parameters {
        if let first = seen[parameter.name.text] {
          error(.duplicateDefinition, "parameter '\(parameter.name.text)' is declared twice",
                at: parameter.name.range, notes: [Diagnostic.Note("first declared here", at: first)])
        }
        seen[parameter.name.text] = parameter.name.range
      }
      definitions[definition.name.text] = definition
    }
    findRecursion()
  }

  /// Reports every definition that uses itself, directly or through others, at the call
  /// that closes the cycle, whether or not the definition is ever called.
  mutating func findRecursion() {
    var state: [String: Int] = [:]  // 1 visiting, 2 done
    var path: [String] = []
    for definition in file.definitions where state[definition.name.text] == nil {
      visit(definition.name.text, state: &state, path: &path)
    }
  }

  private mutating func visit(_ name: String, state: inout [String: Int], path: inout [String]) {
    guard let definition = definitions[name] else { return }
    state[name] = 1
    path.append(name)
    for call in Self.calls(in: definition.body) {
      let callee = call.name.text
      if state[callee] == 1, let start = path.firstIndex(of: callee) {
        let cycle = path[start...] + [callee]
        recursive.formUnion(cycle)
        let through = cycle.count > 2 ? " through " + cycle.dropFirst().dropLast().map { "'\($0)'" }
          .joined(separator: ", ") : ""
        error(.recursiveDefinition, "'\(callee)' uses itself\(through)", at: call.name.range,
              notes: [Diagnostic.Note("'\(callee)' is defined here", at: definitions[callee]?.name.range),
                      Diagnostic.Note("the cycle is \(cycle.joined(separator: " → "))")])
      } else if state[callee] == nil {
        visit(callee, state: &state, path: &path)
      }
    }
    path.removeLast()
    state[name] = 2
  }

  static func calls(in steps: Pipeline) -> [CallSyntax] {
    var result: [CallSyntax] = []
    for step in steps {
      switch step.kind {
      case .call(let call): result.append(call)
      case .block(let block): result += block.branches.flatMap { calls(in: $0) }
      case .repeat(let loop): result += calls(in: loop.body)
      default: break
      }
    }
    return result
  }

  // MARK: Calls

  mutating func expandCall(_ call: CallSyntax, label: Word?, range: SourceRange, from current: inout Int) {
    guard let definition = definitions[call.name.text] else {
      var fixIts: [FixIt] = []
      if let guess = Suggestion.closest(to: call.name.text, among: Array(definitions.keys)) {
        fixIts.append(FixIt("did you mean '\(guess)'?", replacing: call.name.range, with: guess))
      }
      error(.unknownDefinition, "no definition named '\(call.name.text)'", at: call.name.range,
            notes: fixIts.isEmpty ? [Diagnostic.Note("define it first: 'def \(call.name.text)(…) { … }'")] : [],
            fixIts: fixIts)
      return poison(call.name.range, label: label, from: &current)
    }
    if recursive.contains(definition.name.text) { return poison(range, label: label, from: &current) }
    if definition.name.range.start > call.name.range.start {
      error(.definitionAfterUse, "'\(call.name.text)' is used before its definition",
            at: call.name.range, notes: [Diagnostic.Note("defined here", at: definition.name.range)])
      return poison(range, label: label, from: &current)
    }
    guard callStack.count < Parser.maximumNesting else {
      error(.nestingTooDeep, "calls are nested more than \(Parser.maximumNesting) deep", at: call.name.range)
      aborted = true
      return
    }
    guard let bindings = bind(call, to: definition) else { return poison(range, label: label, from: &current) }
    callStack.append((definition.name.text, call.name.range, bindings))
    scopes.append(Scope(level: label?.text))
    expand(definition.body, from: &current)
    scopes.removeLast()
    callStack.removeLast()
    if let label { register(label, index: current, claimsName: false) }
  }

  /// Matches call arguments to parameters: positional first, then by name, then defaults.
  mutating func bind(_ call: CallSyntax, to definition: Definition) -> [String: Word]? {
    var bindings: [String: Word] = [:]
    var ok = true
    let names = definition.parameters.map(\.name.text)
    for (position, argument) in call.arguments.enumerated() {
      let value = substitute(argument.value)
      if let name = argument.name {
        guard names.contains(name.text) else {
          let guess = Suggestion.closest(to: name.text, among: names)
          error(.unknownParameter, "'\(definition.name.text)' has no parameter '\(name.text)'",
                at: name.range, notes: [Diagnostic.Note("its parameters are \(names.map { "'\($0)'" }.joined(separator: ", "))")],
                fixIts: guess.map { [FixIt("did you mean '\($0)'?", replacing: name.range, with: $0)] } ?? [])
          ok = false
          continue
        }
        if bindings[name.text] != nil {
          error(.duplicateOption, "parameter '\(name.text)' is given twice", at: name.range)
          ok = false
        }
        bindings[name.text] = value
      } else if position < names.count {
        bindings[names[position]] = value
      } else {
        error(.unexpectedArgument, "'\(definition.name.text)' takes \(names.count) argument\(names.count == 1 ? "" : "s"); found \(call.arguments.count)",
              at: argument.value.range, notes: [Diagnostic.Note("defined here", at: definition.name.range)])
        ok = false
      }
    }
    for parameter in definition.parameters where bindings[parameter.name.text] == nil {
      if let value = parameter.defaultValue {
        bindings[parameter.name.text] = value
      } else {
        error(.missingArgument, "call of '\(definition.name.text)' is missing argument '\(parameter.name.text)'",
              at: call.name.range, notes: [Diagnostic.Note("'\(parameter.name.text)' is declared here", at: parameter.name.range)])
        ok = false
      }
    }
    return ok ? bindings : nil
  }

  /// Replaces a parameter that stands for the whole word, or for either side of `x`.
  func substitute(_ word: Word) -> Word {
    guard let bindings = callStack.last?.bindings, !bindings.isEmpty else { return word }
    if let value = bindings[word.text] { return Word(value.text, value.range) }
    guard word.text.contains("x") else { return word }
    let parts = word.text.split(separator: "x", omittingEmptySubsequences: false)
    guard parts.count <= 3, parts.contains(where: { bindings[String($0)] != nil }) else { return word }
    let replaced = parts.map { bindings[String($0)]?.text ?? String($0) }
    return Word(replaced.joined(separator: "x"), word.range)
  }

  func substitute(_ argument: Argument) -> Argument {
    var result = argument
    result.values = argument.values.map(substitute)
    return result
  }
}
