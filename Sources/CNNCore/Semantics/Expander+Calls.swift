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
    sizeDefinitions()
  }

  /// Reports every definition that uses itself, directly or through others, at the call
  /// that closes the cycle, whether or not the definition is ever called.
  ///
  /// A depth-first search with an explicit stack: a chain of 100,000 definitions each calling
  /// the next must not overflow the call stack.
  mutating func findRecursion() {
    var state: [String: Int] = [:]  // 1 visiting, 2 done
    for definition in file.definitions where state[definition.name.text] == nil {
      visit(definition.name.text, state: &state)
    }
  }

  private mutating func visit(_ root: String, state: inout [String: Int]) {
    guard let rootDefinition = definitions[root] else { return }
    // The path from `root`: each definition with its calls and the next call to look at.
    var path: [(name: String, calls: [CallSyntax], next: Int)] = []
    state[root] = 1
    path.append((root, Self.calls(in: rootDefinition.body), 0))
    while let top = path.last {
      guard top.next < top.calls.count else {
        path.removeLast()
        state[top.name] = 2
        continue
      }
      path[path.count - 1].next += 1
      let call = top.calls[top.next]
      let callee = call.name.text
      if state[callee] == 1, let start = path.firstIndex(where: { $0.name == callee }) {
        let cycle = path[start...].map(\.name) + [callee]
        recursive.formUnion(cycle)
        let middle = Array(cycle.dropFirst().dropLast())
        let through = middle.isEmpty ? "" : " through " + Self.abbreviated(middle.map { "'\($0)'" }, separator: ", ")
        error(.recursiveDefinition, "'\(callee)' uses itself\(through)", at: call.name.range,
              notes: [Diagnostic.Note("'\(callee)' is defined here", at: definitions[callee]?.name.range),
                      Diagnostic.Note("the cycle is \(Self.abbreviated(cycle, separator: " → "))")])
      } else if state[callee] == nil, let definition = definitions[callee] {
        state[callee] = 1
        path.append((callee, Self.calls(in: definition.body), 0))
      }
    }
  }

  /// Joins `items`, eliding the middle of long lists: a cycle through 100,000 definitions
  /// must not make a message of megabytes (and one per call closing it).
  static func abbreviated(_ items: [String], separator: String) -> String {
    let shown = 8
    guard items.count > shown else { return items.joined(separator: separator) }
    let head = items.prefix(shown / 2).joined(separator: separator)
    let tail = items.suffix(shown / 2).joined(separator: separator)
    return head + separator + "… (\(items.count - shown) more)" + separator + tail
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
      if canSuggest, let guess = suggestion(for: call.name.text, among: Array(definitions.keys)) {
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
    guard enterNesting(at: call.name.range) else { return }
    defer { nesting -= 1 }
    guard let bindings = bind(call, to: definition) else { return poison(range, label: label, from: &current) }
    // Refused before expanding, so `a()` where each definition calls the previous one twice
    // fails at once instead of after building a million layers.
    if callSize(call) > Self.maximumLayers - layers.count {
      error(.tooManyLayers, "the call of '\(call.name.text)' expands to more than \(Self.maximumLayers) layers",
            at: call.name.range)
      aborted = true
      return
    }
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
          let guess = suggestion(for: name.text, among: names)
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
    // A byte search: `String.contains(String)` goes through Foundation, a hot spot when a
    // repeat expands 600,000 layers.
    guard word.text.utf8.contains(UInt8(ascii: "x")) else { return word }
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
