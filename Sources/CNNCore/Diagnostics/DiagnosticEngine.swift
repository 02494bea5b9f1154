/// Collects diagnostics from every stage, then sorts, de-duplicates and caps them.
///
/// Stages only append; ordering and the cap live here so every renderer shows the same list
/// (Go's `RemoveMultiples`): two diagnostics with the same id at the same place are one problem.
public struct DiagnosticEngine: Sendable {
  /// More errors than this are summarised by one final note; the rest would be noise.
  public static let maximumCount = 100
  /// Each front-end stage stops recording after this many: a 1 MB line of `$` would otherwise
  /// build a million diagnostics only to show 100. The lexer and parser report in source order
  /// and lose nothing that `finished()` would show; the expander reports a definition's body
  /// when it is called, so for a file with more errors than this it may show a different 100.
  public static let stageLimit = 10 * maximumCount

  public private(set) var diagnostics: [Diagnostic] = []

  public init() {}

  public mutating func emit(_ diagnostic: Diagnostic) {
    diagnostics.append(diagnostic)
  }

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
  public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }

  /// The diagnostics in source order, duplicates removed, at most `maximumCount`.
  public func finished() -> [Diagnostic] {
    var seen = Set<String>()
    var result: [Diagnostic] = []
    let ordered = diagnostics.enumerated().sorted {
      ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset)
    }
    for (_, diagnostic) in ordered {
      let key = "\(diagnostic.id.rawValue)@\(diagnostic.range.start)-\(diagnostic.range.end)"
      if seen.insert(key).inserted { result.append(diagnostic) }
    }
    if result.count > Self.maximumCount {
      let last = result[Self.maximumCount - 1].range
      result = Array(result.prefix(Self.maximumCount))
      result.append(.tooManyDiagnostics(limit: Self.maximumCount, at: .at(last.end)))
    }
    return result
  }
}
