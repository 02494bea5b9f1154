/// "Did you mean" candidates by edit distance, as Clang's typo correction picks them.
enum Suggestion {
  /// Longer words and candidates are never compared (see `closest`).
  static let maximumWordLength = 64

  /// The closest candidate within a distance that scales with the word (1 for short words,
  /// up to a third of the length), or nil when nothing is plausibly a typo.
  ///
  /// Words longer than `maximumWordLength` get no suggestion: nobody mistypes a 30,000-letter
  /// label, and comparing two of them costs their lengths multiplied.
  static func closest(to word: String, among candidates: [String]) -> String? {
    let length = word.unicodeScalars.count
    guard length <= maximumWordLength else { return nil }
    let limit = max(1, word.count / 3)
    let lowered = word.lowercased()
    var best: (String, Int)?
    for candidate in candidates where candidate != word {
      let candidateLength = candidate.unicodeScalars.count
      if candidateLength > maximumWordLength || abs(candidateLength - length) > limit { continue }
      let distance = editDistance(lowered, candidate.lowercased(), limit: limit)
      if distance <= limit, best == nil || distance < best!.1 { best = (candidate, distance) }
    }
    return best?.0
  }

  /// Levenshtein distance, cut off early once it exceeds `limit` (words can be 1 MB long).
  static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if abs(a.count - b.count) > limit { return limit + 1 }
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    // Optimal string alignment: a swap of neighbours (`covn` for `conv`) costs one edit.
    var beforePrevious = Array(repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var row = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          row[j] = min(row[j], beforePrevious[j - 2] + 1)
        }
      }
      if row.min() ?? 0 > limit { return limit + 1 }
      beforePrevious = previous
      previous = row
    }
    return previous[b.count]
  }
}
