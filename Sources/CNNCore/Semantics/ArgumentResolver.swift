/// Turns the words of one layer (parameters already substituted) into `LayerAttributes`.
///
/// Positional words fill the kind's slots in order; `s4 p2 g2 d2 floor ceil` are short options
/// wherever they appear; `name=value` options come in any order. Every bad word is reported at
/// its own range, and the layer is poisoned (nil) so the checker says nothing more about it.
struct ArgumentResolver {
  let kind: LayerKind
  let kindWord: Word
  var attributes = LayerAttributes()
  /// Where each option or slot was written, keyed by option name or "count"/"kernel"/….
  var ranges: [String: SourceRange] = [:]
  var diagnostics: [Diagnostic] = []
  /// Set by the expander for repeat copies whose errors only repeat earlier copies': errors
  /// are counted, not built, and no "did you mean" is searched for.
  var quiet = false
  private var failed = false

  init(kind: LayerKind, kindWord: Word) {
    self.kind = kind
    self.kindWord = kindWord
  }

  static let shortForms: [Character: LayerOption] = [
    "s": .stride, "p": .pad, "g": .groups, "d": .dilation,
  ]

  mutating func resolve(_ arguments: [Argument]) -> LayerAttributes? {
    var positionals: [Argument] = []
    for argument in arguments {
      if let name = argument.name {
        applyNamed(name, argument)
      } else if argument.values.count == 1, let option = shortOption(argument.values[0]) {
        applyShort(option, argument.values[0])
      } else {
        positionals.append(argument)
      }
    }
    fillSlots(positionals)
    return diagnostics.isEmpty && !failed ? attributes : nil
  }

  mutating func fail(_ id: DiagnosticID, _ message: String, at range: SourceRange,
                     notes: [Diagnostic.Note] = [], fixIts: [FixIt] = []) {
    failed = true
    guard !quiet else { return }
    diagnostics.append(Diagnostic(id, message, at: range, notes: notes, fixIts: fixIts))
  }

  // MARK: Short forms

  /// `s4`, `p2`, `g2`, `d2`, `s2x1`, `floor`, `ceil` — only when the word is one of those shapes.
  func shortOption(_ word: Word) -> LayerOption? {
    if word.text == "floor" || word.text == "ceil" { return .rounding }
    guard let first = word.text.first, let option = Self.shortForms[first] else { return nil }
    let rest = word.text.dropFirst()
    guard let head = rest.first, head.isNumber else { return nil }
    return option
  }

  mutating func applyShort(_ option: LayerOption, _ word: Word) {
    guard kind.options.contains(option) else {
      let what = option == .rounding ? "'\(word.text)'" : "a \(option.rawValue)"
      fail(.unknownOption, "'\(kind.rawValue)' takes no \(what)", at: word.range,
           fixIts: [FixIt("remove '\(word.text)'", replacing: word.range, with: "")])
      return
    }
    guard claim(option.rawValue, word.range) else { return }
    if option == .rounding {
      attributes.rounding = word.text == "floor" ? .floor : .ceil
      return
    }
    let value = Word(String(word.text.dropFirst()), word.range)
    apply(option, [value], name: word.text)
  }

  /// Records where an option was given; a second time is an error.
  mutating func claim(_ key: String, _ range: SourceRange) -> Bool {
    if let first = ranges[key] {
      fail(.duplicateOption, "'\(key)' is given twice", at: range,
           notes: [Diagnostic.Note("first given here", at: first)],
           fixIts: [FixIt("remove the second '\(key)'", replacing: range, with: "")])
      return false
    }
    ranges[key] = range
    return true
  }

  // MARK: Named options

  mutating func applyNamed(_ name: Word, _ argument: Argument) {
    guard let option = LayerOption(rawValue: name.text), option != .rounding,
      kind.options.contains(option)
    else {
      let names = kind.options.filter { $0 != .rounding }.map(\.rawValue).sorted()
      var notes: [Diagnostic.Note] = []
      var fixIts: [FixIt] = []
      if !quiet, let guess = Suggestion.closest(to: name.text, among: names) {
        fixIts.append(FixIt("did you mean '\(guess)'?", replacing: name.range, with: guess))
      } else {
        notes.append(Diagnostic.Note(names.isEmpty
          ? "'\(kind.rawValue)' takes no options"
          : "'\(kind.rawValue)' takes \(names.map { "'\($0)='" }.joined(separator: ", "))"))
      }
      fail(.unknownOption, "unknown option '\(name.text)' for '\(kind.rawValue)'",
           at: name.range, notes: notes, fixIts: fixIts)
      return
    }
    guard claim(option.rawValue, argument.range) else { return }
    if argument.isBracketList {
      applyList(option, argument)
    } else {
      apply(option, argument.values, name: name.text)
    }
  }

  mutating func applyList(_ option: LayerOption, _ argument: Argument) {
    guard option == .weights || option == .bias else {
      fail(.invalidValue, "'\(option.rawValue)=' takes a single value, not a '[…]' list",
           at: argument.range)
      return
    }
    var values: [Float] = []
    values.reserveCapacity(argument.values.count)
    for word in argument.values {
      guard let value = NumberSyntax.real(word.text) ?? NumberSyntax.integer(word.text[...]).map(Double.init)
      else {
        fail(.invalidValue, "'\(word.text)' is not a number", at: word.range)
        return
      }
      values.append(Float(value))
    }
    if option == .weights { attributes.constantWeights = values } else { attributes.constantBias = values }
  }
}
