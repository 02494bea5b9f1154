/// Values of options and positional slots.
extension ArgumentResolver {
  mutating func apply(_ option: LayerOption, _ values: [Word], name: String) {
    let word = values[0]
    if values.count > 1 && option != .pad {
      fail(.invalidValue, "'\(name)' takes one value, not a list",
           at: word.range.union(values[values.count - 1].range))
      return
    }
    switch option {
    case .kernel: attributes.kernel = dims(word, what: "kernel size", minimum: 1)
    case .stride: attributes.stride = dims(word, what: "stride", minimum: 1)
    case .dilation: attributes.dilation = dims(word, what: "dilation", minimum: 1) ?? Dims(1, 1)
    case .outpad: attributes.outputPadding = dims(word, what: "output padding", minimum: 0) ?? Dims(0, 0)
    case .groups: attributes.groups = integer(word, what: "group count", minimum: 1) ?? 1
    case .pad: applyPadding(values)
    case .bias: attributes.hasBias = boolean(word, name: name) ?? true
    case .countIncludePad: attributes.countIncludePad = boolean(word, name: name) ?? true
    case .order: applyOrder(word)
    case .eps: attributes.epsilon = real(word, what: "'eps'", positive: true) ?? 1e-5
    case .momentum: attributes.momentum = real(word, what: "'momentum'", positive: false) ?? 0.1
    case .alpha: attributes.alpha = real(word, what: "'alpha'", positive: false) ?? 1e-4
    case .beta: attributes.beta = real(word, what: "'beta'", positive: false) ?? 0.75
    case .k: attributes.k = real(word, what: "'k'", positive: false) ?? 1
    case .weights:
      fail(.invalidValue, "'weights=' takes a '[…]' list of numbers", at: word.range)
    case .rounding:
      preconditionFailure("unreachable: rounding is only a short form")
    }
  }

  /// `pad=2`, `pad=1x2`, `pad=0,1,0,1` (top,left,bottom,right), `pad=same`, `pad=valid`.
  mutating func applyPadding(_ values: [Word]) {
    if values.count == 1 {
      switch values[0].text {
      case "same":
        attributes.padding = .same
        if kind == .deconv {
          fail(.invalidValue, "'pad=same' is not allowed on 'deconv' (PyTorch rejects it)",
               at: values[0].range)
        }
      case "valid": attributes.padding = .explicit(.zero)
      default:
        guard let pair = dims(values[0], what: "padding", minimum: 0) else { return }
        attributes.padding = .explicit(
          Insets(top: pair.height, left: pair.width, bottom: pair.height, right: pair.width))
      }
      return
    }
    guard values.count == 4 else {
      fail(.invalidValue, "padding takes 1, 2 (HxW) or 4 values (top,left,bottom,right); found \(values.count)",
           at: values[0].range.union(values[values.count - 1].range))
      return
    }
    let sides = values.compactMap { integer($0, what: "padding", minimum: 0) }
    guard sides.count == 4 else { return }
    attributes.padding = .explicit(Insets(top: sides[0], left: sides[1], bottom: sides[2], right: sides[3]))
  }

  mutating func applyOrder(_ word: Word) {
    guard let order = FlattenOrder(rawValue: word.text) else {
      fail(.invalidValue, "flatten order must be 'chw', 'hwc' or 'whc', not '\(word.text)'",
           at: word.range)
      return
    }
    attributes.order = order
  }

  // MARK: Positional slots

  mutating func fillSlots(_ positionals: [Argument]) {
    var slots = kind.slots
    // `dwconv 3x3` keeps the channel count: a lone positional is the kernel.
    if kind == .dwconv && positionals.count == 1 { slots = [.kernel] }
    // `conv 3x3`: a lone size is the kernel; the missing count is the error, not the size.
    if slots == [.count, .kernel], positionals.count == 1, ranges["kernel"] == nil,
      positionals[0].values.count == 1, positionals[0].values[0].text.contains("x") {
      fill(.kernel, positionals[0])
      fail(.missingArgument, "'\(kind.rawValue)' needs \(describe(.count))", at: kindWord.range,
           notes: [Diagnostic.Note("for example: \(example)")])
      return
    }
    for (position, argument) in positionals.enumerated() {
      guard position < slots.count else {
        tooManyArguments(argument)
        continue
      }
      fill(slots[position], argument)
    }
    let given = min(positionals.count, slots.count)
    let kernelGiven = attributes.kernel != nil || ranges["kernel"] != nil
    let required = kernelGiven && slots.last == .kernel ? kind.requiredSlots - 1 : kind.requiredSlots
    if given < required {
      let missing = slots[given]
      fail(.missingArgument, "'\(kind.rawValue)' needs \(describe(missing))",
           at: kindWord.range, notes: [Diagnostic.Note("for example: \(example)")])
    }
  }

  mutating func tooManyArguments(_ argument: Argument) {
    let text = argument.values.map(\.text).joined(separator: ",")
    var notes: [Diagnostic.Note] = []
    var fixIts = [FixIt("remove '\(text)'", replacing: argument.range, with: "")]
    if !quiet, let guess = Suggestion.closest(to: text, among: kind.options.map(\.rawValue) + ["floor", "ceil"]) {
      fixIts = [FixIt("did you mean '\(guess)'?", replacing: argument.range, with: guess)]
    } else if kind.slots.isEmpty {
      notes.append(Diagnostic.Note("'\(kind.rawValue)' takes no arguments"))
    }
    fail(.unexpectedArgument, "unexpected argument '\(text)' for '\(kind.rawValue)'",
         at: argument.range, notes: notes, fixIts: fixIts)
  }

  var example: String {
    switch kind {
    case .conv: return "'conv 64 3x3 p1'"
    case .deconv: return "'deconv 64 4x4 s2 p1'"
    case .dwconv: return "'dwconv 3x3 p1'"
    case .fc: return "'fc 1000'"
    case .lrn: return "'lrn 5'"
    case .maxpool, .avgpool: return "'\(kind.rawValue) 3 s2'"
    case .adaptiveavgpool: return "'adaptiveavgpool 6x6'"
    case .upsample: return "'upsample 2'"
    case .spp: return "'spp 1,2,4'"
    default: return "'zeropad 1'"
    }
  }

  func describe(_ slot: LayerKind.Slot) -> String {
    switch slot {
    case .count: return kind == .fc ? "a unit count" : kind == .lrn ? "a window size" : "an output channel count"
    case .kernel: return "a kernel size"
    case .real: return "a value"
    case .size: return kind == .upsample ? "a scale factor" : "an output size"
    case .gridList: return "a list of grid sizes"
    case .padding: return "a padding"
    }
  }

  mutating func fill(_ slot: LayerKind.Slot, _ argument: Argument) {
    let word = argument.values[0]
    if slot != .gridList && slot != .padding && argument.values.count > 1 {
      fail(.invalidValue, "expected one value, found a list", at: argument.range)
      return
    }
    switch slot {
    case .count:
      ranges["count"] = word.range
      attributes.count = integer(word, what: kind == .fc ? "unit count" : kind == .lrn ? "window size" : "output channel count", minimum: 1)
    case .kernel:
      guard claim("kernel", word.range) else { return }
      attributes.kernel = dims(word, what: "kernel size", minimum: 1)
    case .real:
      ranges["value"] = word.range
      attributes.real = real(word, what: "the value", positive: false)
      if kind == .dropout, let p = attributes.real, p >= 1 {
        fail(.invalidValue, "dropout probability must be below 1; found \(word.text)", at: word.range)
      }
    case .size:
      ranges["size"] = word.range
      attributes.size = dims(word, what: kind == .upsample ? "scale factor" : "output size", minimum: 1)
    case .gridList:
      ranges["grid"] = argument.range
      attributes.grid = argument.values.compactMap { integer($0, what: "grid size", minimum: 1) }
    case .padding:
      ranges["pad"] = argument.range
      applyZeropad(argument.values)
    }
  }

  mutating func applyZeropad(_ values: [Word]) {
    let saved = attributes.padding
    applyPadding(values)
    if case .explicit(let insets) = attributes.padding { attributes.insets = insets }
    if values.count == 1 && values[0].text == "same" {
      fail(.invalidValue, "'zeropad' needs explicit amounts, not 'same'", at: values[0].range)
    }
    attributes.padding = saved
  }

  // MARK: Value parsers

  mutating func integer(_ word: Word, what: String, minimum: Int) -> Int? {
    guard let value = NumberSyntax.integer(word.text[...]) else {
      invalidNumber(word, what: what)
      return nil
    }
    guard value >= minimum else {
      let rule = minimum == 1 ? "positive" : "zero or more"
      fail(.invalidValue, "the \(what) must be \(rule); found \(value)", at: word.range)
      return nil
    }
    return value
  }

  mutating func dims(_ word: Word, what: String, minimum: Int) -> Dims? {
    guard let values = NumberSyntax.dimensions(word.text), values.count == 1 || values.count == 2
    else {
      invalidNumber(word, what: what)
      return nil
    }
    if let bad = values.first(where: { $0 < minimum }) {
      let rule = minimum == 1 ? "positive" : "zero or more"
      fail(.invalidValue, "the \(what) must be \(rule); found \(bad)", at: word.range)
      return nil
    }
    return values.count == 1 ? .square(values[0]) : Dims(values[0], values[1])
  }

  mutating func real(_ word: Word, what: String, positive: Bool) -> Double? {
    guard let value = NumberSyntax.real(word.text) else {
      invalidNumber(word, what: what)
      return nil
    }
    if value < 0 || (positive && value == 0) {
      fail(.invalidValue, "\(what) must be \(positive ? "positive" : "zero or more"); found \(word.text)",
           at: word.range)
      return nil
    }
    return value
  }

  mutating func boolean(_ word: Word, name: String) -> Bool? {
    switch word.text {
    case "true": return true
    case "false": return false
    default:
      fail(.invalidValue, "'\(name)=' takes 'true' or 'false', not '\(word.text)'", at: word.range)
      return nil
    }
  }

  mutating func invalidNumber(_ word: Word, what: String) {
    let parts = word.text.split(whereSeparator: { $0 == "x" || $0 == "*" })
    if parts.contains(where: { NumberSyntax.isOverflowingInteger($0) }) {
      fail(.sizeOverflow, "\(what) '\(word.text)' does not fit in a 64-bit integer", at: word.range)
    } else {
      fail(.invalidValue, "'\(word.text)' is not a valid \(what)", at: word.range)
    }
  }
}
