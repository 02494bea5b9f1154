/// Expands a parsed file into a `Network`: headers read, `def`s called, `repeat`s unrolled,
/// parameters substituted, labels composed into module-tree names and `@label`s resolved.
///
/// Expansion is bounded: call nesting by `Parser.maximumNesting` and the layer count by
/// `maximumLayers`, checked before a `repeat` multiplies its body, so `repeat 1000000000 { … }`
/// is an error in microseconds rather than an out-of-memory kill.
public struct Expander {
  /// Larger expansions are an error (`expand.too-many-layers`).
  public static let maximumLayers = 1_000_000

  let file: SpecFile
  let source: SourceFile
  var layers: [Layer] = []
  var diagnostics: [Diagnostic] = []
  var definitions: [String: Definition] = [:]
  /// Definitions found to be recursive; calls to them are skipped without further noise.
  var recursive: Set<String> = []
  /// Layers each definition's body expands to (see `layerCount`), filled in file order.
  var definitionSizes: [String: Int] = [:]
  /// Candidate comparisons "did you mean" may still make: 50,000 unknown `@label`s among
  /// 50,000 labels must not cost 2.5 billion of them. Later errors simply get no suggestion.
  var suggestionBudget = 200_000
  /// Above zero while expanding repeat copies whose errors would only repeat earlier ones:
  /// only the errors that stop the expansion are still reported.
  var muted = 0
  /// Blocks, repeats and calls being expanded, innermost last (see `enterNesting`).
  var nesting = 0
  var scopes: [Scope] = [Scope(level: nil)]
  var callStack: [(name: String, site: SourceRange, bindings: [String: Word])] = []
  /// First range at which each composed label was defined.
  var labelSites: [String: SourceRange] = [:]
  var aborted = false

  /// One naming level: a call, a repeat copy or a labelled block.
  struct Scope {
    /// The label this level adds to names (`layer1.0`), nil for unlabelled blocks.
    var level: String?
    var labels: [String: Int] = [:]
  }

  init(file: SpecFile, source: SourceFile) {
    self.file = file
    self.source = source
  }

  /// Expands `file`; nil when the header is unusable (no input shape), else the network,
  /// whose poisoned layers (nil attributes) already have their diagnostics.
  public static func expand(_ file: SpecFile, source: SourceFile) -> (Network?, [Diagnostic]) {
    var expander = Expander(file: file, source: source)
    let network = expander.run()
    return (network, expander.diagnostics)
  }

  mutating func error(_ id: DiagnosticID, _ message: String, at range: SourceRange,
                      notes: [Diagnostic.Note] = [], fixIts: [FixIt] = []) {
    // Errors that stop the expansion are always kept; others only up to the stage limit
    // (500,000 lines of `foo` must not build 500,000 diagnostics to show 100).
    guard id == .tooManyLayers || id == .nestingTooDeep
      || (muted == 0 && diagnostics.count < DiagnosticEngine.stageLimit) else { return }
    diagnostics.append(Diagnostic(id, message, at: range, notes: notes + callNotes, fixIts: fixIts))
  }

  /// "in a call of 'basic' here" notes, innermost first, so errors inside defs are traceable.
  var callNotes: [Diagnostic.Note] {
    callStack.reversed().prefix(3).map { Diagnostic.Note("in this call of '\($0.name)'", at: $0.site) }
  }

  /// Whether "did you mean" may still compare candidates; check it before building a list.
  var canSuggest: Bool {
    suggestionBudget > 0 && muted == 0 && diagnostics.count < DiagnosticEngine.stageLimit
  }

  /// `Suggestion.closest`, charged to `suggestionBudget`; nil once the budget is spent.
  mutating func suggestion(for word: String, among candidates: [String]) -> String? {
    guard canSuggest else { return nil }
    suggestionBudget -= max(1, candidates.count)
    return Suggestion.closest(to: word, among: candidates)
  }

  /// Enters one block, repeat or call while expanding, or reports and aborts when
  /// `Parser.maximumNesting` are already open. The parser bounds nesting within one body, but
  /// calls compose bodies: 200 definitions, each nesting 200 blocks around a call of the
  /// previous one, would otherwise recurse 40,000 deep and overflow the stack.
  mutating func enterNesting(at range: SourceRange) -> Bool {
    guard nesting < Parser.maximumNesting else {
      error(.nestingTooDeep, "blocks, repeats and calls are nested more than \(Parser.maximumNesting) "
              + "deep once definitions are expanded", at: range)
      aborted = true
      return false
    }
    nesting += 1
    return true
  }

  mutating func run() -> Network? {
    let input = readInput()
    let rounding = readRounding()
    collectDefinitions()
    var current = Layer.networkInput
    layers.reserveCapacity(min(layerCount(file.body), Self.maximumLayers))
    expand(file.body, from: &current)
    assignGeneratedNames()
    let outputs = resolveOutputs(last: current)
    guard let (shape, range) = input else { return nil }
    return Network(name: networkName, input: shape, inputRange: range, rounding: rounding,
                   layers: layers, outputs: outputs)
  }

  // MARK: Headers

  var networkName: String {
    if let word = file.header.networkName { return word.text }
    let base = source.name.split(separator: "/").last.map(String.init) ?? "Network"
    let stem = base.hasSuffix(".cnn") ? String(base.dropLast(4)) : base
    let parts = stem.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
    let camel = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    guard let first = camel.first, first.isLetter, camel.allSatisfy({ $0.isASCII }) else {
      return "Network" + camel.filter { $0.isASCII }
    }
    return camel
  }

  mutating func readInput() -> (Shape, SourceRange)? {
    guard let word = file.header.input else {
      error(.missingInput, "a spec needs an 'input HxWxC' line before its first layer",
            at: .at(0), fixIts: [FixIt("add an input shape", replacing: .at(0), with: "input 224x224x3\n")])
      return nil
    }
    guard let values = NumberSyntax.dimensions(word.text), values.count == 3 else {
      let overflow = word.text.split(whereSeparator: { $0 == "x" || $0 == "*" })
        .contains { NumberSyntax.isOverflowingInteger($0) }
      error(overflow ? .sizeOverflow : .invalidValue,
            overflow ? "input size '\(word.text)' does not fit in a 64-bit integer"
              : "input must be height x width x channels, like '227x227x3'; found '\(word.text)'",
            at: word.range)
      return nil
    }
    if let bad = values.first(where: { $0 <= 0 }) {
      error(.invalidValue, "input sizes must be positive; found \(bad)", at: word.range)
      return nil
    }
    let shape = Shape(values[0], values[1], values[2])
    guard shape.byteCount != nil else {
      error(.sizeOverflow, "input \(shape) has more bytes than fit in a 64-bit integer", at: word.range)
      return nil
    }
    return (shape, word.range)
  }

  mutating func readRounding() -> Rounding {
    guard let word = file.header.rounding else { return .exact }
    guard let rounding = Rounding(rawValue: word.text) else {
      error(.invalidValue, "rounding must be 'floor', 'ceil' or 'exact', not '\(word.text)'",
            at: word.range)
      return .exact
    }
    return rounding
  }

  // MARK: Outputs

  mutating func resolveOutputs(last: Int) -> [Int] {
    guard !file.outputs.isEmpty, let lineRange = file.outputRange else {
      return layers.isEmpty ? [] : [last == Layer.networkInput ? layers.count - 1 : last]
    }
    var outputs: [Int] = []
    for word in file.outputs {
      guard let index = lookUp(word) else { continue }
      if layers[index].range.start > lineRange.start {
        error(.outputBeforeLayer, "'output' must follow the layers it names; '\(word.text)' comes later",
              at: word.range, notes: [Diagnostic.Note("'\(word.text)' is defined here", at: layers[index].range)])
      }
      outputs.append(index)
    }
    return outputs
  }
}
