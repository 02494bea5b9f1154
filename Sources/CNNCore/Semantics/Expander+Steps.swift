/// Expanding the steps of a pipeline.
extension Expander {
  /// Expands `steps` in order; `current` is the layer feeding the next step and is updated.
  mutating func expand(_ steps: Pipeline, from current: inout Int) {
    for step in steps {
      if aborted { return }
      switch step.kind {
      case .layer(let syntax): expandLayer(syntax, label: step.label, from: &current)
      case .block(let block): expandBlock(block, label: step.label, from: &current)
      case .call(let call): expandCall(call, label: step.label, range: step.range, from: &current)
      case .repeat(let loop): expandRepeat(loop, label: step.label, from: &current)
      case .reference(let word): current = lookUp(word) ?? current
      }
    }
  }

  /// Appends a layer unless the expansion limit is reached (then reports once and aborts).
  mutating func append(_ layer: Layer, at range: SourceRange) -> Int? {
    guard layers.count < Self.maximumLayers else {
      error(.tooManyLayers, "the network expands to more than \(Self.maximumLayers) layers",
            at: range)
      aborted = true
      return nil
    }
    layers.append(layer)
    return layers.count - 1
  }

  mutating func expandLayer(_ syntax: LayerSyntax, label: Word?, from current: inout Int) {
    guard let kind = LayerKind.named(syntax.kind.text) else {
      unknownLayerKind(syntax.kind)
      return poison(syntax.kind.range, label: label, from: &current)
    }
    let arguments = syntax.arguments.map(substitute)
    var resolver = ArgumentResolver(kind: kind, kindWord: syntax.kind)
    resolver.quiet = muted > 0 || diagnostics.count >= DiagnosticEngine.stageLimit
    let attributes = resolver.resolve(arguments)
    for diagnostic in resolver.diagnostics where !resolver.quiet {
      var located = diagnostic
      located.notes += callNotes
      diagnostics.append(located)
    }
    let end = syntax.arguments.last?.range ?? syntax.kind.range
    let layer = Layer(
      name: "", kind: kind, attributes: attributes, inputs: [current],
      range: syntax.kind.range.union(end), argumentRanges: resolver.ranges,
      callSites: callStack.reversed().map(\.site), isLabelled: label != nil)
    addLayer(layer, label: label, from: &current)
  }

  /// Names, registers and appends a layer; it becomes the current one.
  mutating func addLayer(_ layer: Layer, label: Word?, from current: inout Int) {
    var layer = layer
    if let label { layer.name = composedName(label.text) }
    guard let index = append(layer, at: layer.range) else { return }
    if let label { register(label, index: index, claimsName: true) }
    current = index
  }

  /// A stand-in for a layer that could not be understood: it has no shape, so nothing it
  /// feeds is diagnosed again (no cascades), but labels and names stay intact.
  mutating func poison(_ range: SourceRange, label: Word?, from current: inout Int) {
    let layer = Layer(name: "", kind: .identity, attributes: nil, inputs: [current], range: range,
                      argumentRanges: [:], callSites: [], isLabelled: label != nil)
    addLayer(layer, label: label, from: &current)
  }

  mutating func unknownLayerKind(_ word: Word) {
    var fixIts: [FixIt] = []
    var notes: [Diagnostic.Note] = []
    if definitions[word.text] != nil {
      fixIts.append(FixIt("call the definition", replacing: word.range, with: "\(word.text)()"))
    } else if canSuggest, let guess = suggestion(for: word.text, among: LayerKind.keywords) {
      fixIts.append(FixIt("did you mean '\(guess)'?", replacing: word.range, with: guess))
    } else if canSuggest, let guess = suggestion(for: word.text, among: Array(definitions.keys)) {
      fixIts.append(FixIt("did you mean '\(guess)(…)'?", replacing: word.range, with: guess))
    } else {
      notes.append(Diagnostic.Note("layer kinds are listed in docs/language.md"))
    }
    error(.unknownLayer, "unknown layer kind '\(word.text)'", at: word.range, notes: notes,
          fixIts: fixIts)
  }

  // MARK: Blocks

  mutating func expandBlock(_ block: BlockSyntax, label: Word?, from current: inout Int) {
    guard enterNesting(at: block.keyword.range) else { return }
    defer { nesting -= 1 }
    let input = current
    var ends: [Int] = []
    scopes.append(Scope(level: label?.text))
    for branch in block.branches {
      var branchEnd = input
      expand(branch, from: &branchEnd)
      ends.append(branchEnd)
    }
    scopes.removeLast()
    if block.branches.isEmpty && !block.hasErrors {
      error(.emptyBlock, "'\(block.join.rawValue)' needs at least one branch",
            at: block.keyword.range.union(block.closeRange))
    }
    let kind: LayerKind = block.join == .add ? .add : .concat
    let join = Layer(
      name: "", kind: kind, attributes: block.branches.isEmpty ? nil : LayerAttributes(),
      inputs: ends, range: block.keyword.range, argumentRanges: [:],
      callSites: callStack.reversed().map(\.site), isLabelled: label != nil)
    addLayer(join, label: label, from: &current)
  }

  // MARK: Repeat

  mutating func expandRepeat(_ loop: RepeatSyntax, label: Word?, from current: inout Int) {
    let countWord = substitute(loop.count)
    guard let count = NumberSyntax.integer(countWord.text[...]), count >= 1 else {
      let overflow = NumberSyntax.isOverflowingInteger(countWord.text[...])
      error(overflow ? .sizeOverflow : .invalidValue,
            overflow ? "repeat count '\(countWord.text)' does not fit in a 64-bit integer"
              : "repeat count must be a positive integer; found '\(countWord.text)'",
            at: countWord.range)
      return
    }
    // Checked before the first copy, so nested repeats (`repeat 1000 { repeat 1000 { … } }`)
    // fail in microseconds instead of after building a million layers.
    let perCopy = layerCount(loop.body)
    let (total, overflow) = count.multipliedReportingOverflow(by: perCopy)
    if overflow || total > Self.maximumLayers - layers.count {
      error(.tooManyLayers,
            "'repeat \(count)' expands to more than \(Self.maximumLayers) layers "
              + "(\(perCopy) per copy)", at: loop.keyword.range.union(countWord.range))
      aborted = true
      return
    }
    guard enterNesting(at: loop.keyword.range) else { return }
    defer { nesting -= 1 }
    for copy in 0..<count {
      let before = layers.count
      let reported = diagnostics.count
      scopes.append(Scope(level: label.map { "\($0.text).\(copy)" }))
      if copy >= 2 { muted += 1 }
      expand(loop.body, from: &current)
      if copy >= 2 { muted -= 1 }
      scopes.removeLast()
      // From the third copy on, errors repeat the second copy's at the same places (the first
      // may differ: `@b` before `b:` resolves from the second copy on); the engine would drop
      // them as duplicates, so a million of them are not kept.
      if copy >= 2 && !aborted { diagnostics.removeSubrange(reported...) }
      if aborted { return }
      // A body that adds no layers (`repeat 1000000000 { @a }`, `{ }`, an empty def) adds
      // none in any copy either: stop instead of spinning a billion times.
      if layers.count == before { break }
    }
    if let label { register(label, index: current, claimsName: false) }
  }

  // MARK: Layer counts

  /// How many layers `steps` expand to, saturating at `Int.max`, computed from the syntax
  /// without expanding it; calls use `definitionSizes`. A repeat whose count is a parameter
  /// not bound here counts one copy, so inside definitions this is a lower bound (the repeat
  /// checks itself again when expanded with its arguments); elsewhere it is exact for specs
  /// that expand without errors, which is what lets `expandRepeat` refuse before expanding.
  func layerCount(_ steps: Pipeline) -> Int {
    var total = 0
    for step in steps {
      let size: Int
      switch step.kind {
      case .layer: size = 1
      case .reference: size = 0
      case .block(let block):
        size = block.branches.reduce(1) { Self.saturatingSum($0, layerCount($1)) }
      case .call(let call): size = callSize(call)
      case .repeat(let loop):
        let countText = substitute(loop.count).text
        guard let count = NumberSyntax.integer(countText[...]) else {
          // A parameter's value is unknown while sizing a definition: count one copy.
          size = NumberSyntax.isOverflowingInteger(countText[...]) ? 0 : layerCount(loop.body)
          break
        }
        guard count >= 1 else {
          size = 0
          break
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: layerCount(loop.body))
        size = overflow ? Int.max : product
      }
      total = Self.saturatingSum(total, size)
    }
    return total
  }

  /// The layers a call adds: its definition's size, or one stand-in when it cannot expand.
  func callSize(_ call: CallSyntax) -> Int {
    guard let definition = definitions[call.name.text], !recursive.contains(definition.name.text),
      definition.name.range.start < call.name.range.start,
      let size = definitionSizes[definition.name.text]
    else { return 1 }
    return size
  }

  static func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
  }

  /// Sizes every definition in file order; a definition can only call earlier ones, so each
  /// callee's size is known when its caller is sized (no recursion over the call graph).
  mutating func sizeDefinitions() {
    for definition in file.definitions where definitions[definition.name.text]?.name.range == definition.name.range {
      definitionSizes[definition.name.text] = layerCount(definition.body)
    }
  }
}
