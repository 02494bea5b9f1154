/// Module-tree names: composing labels, resolving `@label`, generating names.
extension Expander {
  /// `layer1.0` + `conv1` → `layer1.0.conv1`: only labelled levels contribute.
  func composedName(_ label: String) -> String {
    let levels = scopes.compactMap(\.level)
    return levels.isEmpty ? label : levels.joined(separator: ".") + "." + label
  }

  /// Makes `label` visible to `@label` from every enclosing scope, under the name relative to
  /// that scope; layers (not calls or repeats) also claim their composed name, which must be unique.
  mutating func register(_ label: Word, index: Int, claimsName: Bool) {
    if claimsName {
      let full = composedName(label.text)
      if let first = labelSites[full] {
        let notes = [Diagnostic.Note("'\(full)' is first defined here", at: first)]
          + (first == label.range ? [Diagnostic.Note("the same label is expanded twice; label the calls or repeats that contain it")] : [])
        error(.duplicateName, "two layers are named '\(full)'", at: label.range, notes: notes)
      } else {
        labelSites[full] = label.range
      }
    }
    // The name relative to each scope, built outward by prefixing each level once.
    var relative = label.text
    for scopeIndex in scopes.indices.reversed() {
      scopes[scopeIndex].labels[relative] = index
      if let level = scopes[scopeIndex].level { relative = level + "." + relative }
    }
  }

  /// Resolves `@label` from the innermost scope outward.
  mutating func lookUp(_ word: Word) -> Int? {
    for scope in scopes.reversed() {
      if let index = scope.labels[word.text] { return index }
    }
    var fixIts: [FixIt] = []
    var notes: [Diagnostic.Note] = []
    if canSuggest, let guess = suggestion(
      for: word.text, among: Array(scopes.last?.labels.keys.map { $0 } ?? []) + Array(scopes[0].labels.keys))
    {
      fixIts.append(FixIt("did you mean '@\(guess)'?", replacing: word.range, with: guess))
    } else {
      notes.append(Diagnostic.Note("'@label' reads an earlier layer labelled 'label: …'"))
    }
    error(.unknownLabel, "no layer labelled '\(word.text)' before this point", at: word.range,
          notes: notes, fixIts: fixIts)
    return nil
  }

  /// `<kind><n>` for unlabelled layers: one counter per kind in execution order, skipping
  /// names labels already took; kinds ending in a digit take an underscore (`relu6_1`).
  ///
  /// Generated names cannot collide with each other (one counter per kind, and the underscore
  /// keeps `relu6_1` apart from `relu61`), so only labels are looked up: a million layers
  /// cost a million string builds, not a million set insertions.
  mutating func assignGeneratedNames() {
    let taken = Set(layers.lazy.filter(\.isLabelled).map(\.name))
    var counters: [LayerKind: Int] = [:]
    for index in layers.indices where !layers[index].isLabelled {
      let kind = layers[index].kind
      let base = kind.rawValue.last?.isNumber == true ? kind.rawValue + "_" : kind.rawValue
      var number = counters[kind, default: 0]
      var name: String
      repeat {
        number += 1
        name = base + String(number)
      } while !taken.isEmpty && taken.contains(name)
      counters[kind] = number
      layers[index].name = name
    }
  }
}
