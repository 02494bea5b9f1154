/// The contract's error for a window that leaves real input unread, with the nearest fixes.
extension Checker {
  mutating func reportUnread(_ layer: Layer, _ attributes: LayerAttributes, rows: WindowAxis,
                             columns: WindowAxis, input: Shape) {
    var lost: [String] = []
    if rows.dropsInput { lost.append(Self.describeUnread(rows, noun: "row")) }
    if columns.dropsInput { lost.append(Self.describeUnread(columns, noun: "column")) }
    let arithmetic = rows.dropsInput && columns.dropsInput && rows.arithmetic != columns.arithmetic
      ? "\(rows.arithmetic) (rows), \(columns.arithmetic) (columns)"
      : (rows.dropsInput ? rows.arithmetic : columns.arithmetic)
    let fixes = unreadFixes(layer, attributes, rows: rows, columns: columns, input: input)
    let remedies = fixes.map { String($0.message.dropFirst(4)) } + ["'floor' to drop them as PyTorch does"]
    let notes = [
      Diagnostic.Note("the input of '\(layer.name)' is \(input) here", at: producerRange(of: layer)),
      Diagnostic.Note("use " + remedies.joined(separator: ", or ")),
    ]
    let verb = lost.count == 1 && !lost[0].contains("s ") ? "is" : "are"
    error(.nonIntegral,
          "'\(layer.name)' does not cover its input: \(arithmetic), so input "
            + "\(lost.joined(separator: " and ")) \(verb) never read",
          at: layer.range, layer: layer, notes: notes, fixIts: fixes)
  }

  /// "column 223" or "columns 222-223".
  static func describeUnread(_ axis: WindowAxis, noun: String) -> String {
    let last = axis.input - 1
    let first = axis.input - axis.unreadInput
    return first == last ? "\(noun) \(last)" : "\(noun)s \(first)-\(last)"
  }

  /// Safest first: a larger network input (first layer only), more padding, a different stride.
  func unreadFixes(_ layer: Layer, _ attributes: LayerAttributes, rows: WindowAxis,
                   columns: WindowAxis, input: Shape) -> [FixIt] {
    var fixes: [FixIt] = []
    if layer.inputs == [Layer.networkInput] {
      let height = Self.nearest(rows) { axis, value in axis.input = value }
      let width = Self.nearest(columns) { axis, value in axis.input = value }
      if let height, let width {
        let text = "\(height)x\(width)x\(input.channels)"
        fixes.append(FixIt("use input \(text)", replacing: network.inputRange, with: text))
      }
    }
    let extraRows = Self.nearest(rows, from: 0) { axis, value in
      axis.padBegin += value
      axis.padEnd += value
    }
    let extraColumns = Self.nearest(columns, from: 0) { axis, value in
      axis.padBegin += value
      axis.padEnd += value
    }
    if let extraRows, let extraColumns, case .explicit(let pad) = attributes.padding {
      let padded = Insets(top: pad.top + extraRows, left: pad.left + extraColumns,
                          bottom: pad.bottom + extraRows, right: pad.right + extraColumns)
      let text = padded.top == padded.left && padded.top == padded.bottom && padded.left == padded.right
        ? "pad=\(padded.top)"
        : (padded.top == padded.bottom && padded.left == padded.right
          ? "pad=\(padded.top)x\(padded.left)" : "pad=\(padded.array.map(String.init).joined(separator: ","))")
      fixes.append(insertOrReplace(layer, key: "pad", text: text,
                                   message: "\(text) (then only padding is left unread)"))
    }
    return fixes
  }

  /// The smallest value ≥ the current one (or ≥ `start`) for which no real input is dropped.
  static func nearest(_ axis: WindowAxis, from start: Int? = nil,
                      _ apply: (inout WindowAxis, Int) -> Void) -> Int? {
    let base = start ?? axis.input
    for value in base...(base + 64) {
      var candidate = axis
      apply(&candidate, value)
      if start == nil { candidate.input = value }
      if !candidate.dropsInput, (candidate.reach ?? -1) >= 0 { return value }
    }
    return nil
  }

  /// A fix-it that replaces the option where it is written, or appends it to the layer.
  func insertOrReplace(_ layer: Layer, key: String, text: String, message: String) -> FixIt {
    if let range = layer.argumentRanges[key] {
      return FixIt("use " + message, replacing: range, with: text)
    }
    return FixIt("use " + message, replacing: .at(layer.range.end), with: " " + text)
  }
}
