/// Which block each layer belongs to, as a list of name levels (`["layer1", "0"]`).
///
/// Labelled layers: their composed name without its last level (a labelled join: its whole
/// name, since it closes the block it names). Unlabelled layers have generated names without
/// a prefix, so their block is inferred, first rule that applies:
/// 1. inside the branches of a labelled `concat`/`add`: that block;
/// 2. inside a call: the levels shared by the labelled layers of the same expansion (one copy
///    of it, when a `repeat` expands the same call several times);
/// 3. otherwise the levels shared by the nearest labelled layers before and after it.
/// Each expansion is scanned once: linear in the layer count times the call nesting depth.
enum BlockPaths {
  static func compute(_ entries: [Report.Entry]) -> [[String]] {
    let labelled: [[String]?] = entries.map { entry in
      guard entry.isLabelled else { return nil }
      let levels = entry.name.split(separator: ".").map(String.init)
      return entry.kind.isJoin ? levels : Array(levels.dropLast())
    }
    var paths = labelled
    claimBranches(entries, &paths)
    let neighbours = Neighbours(labelled)
    for index in entries.indices where paths[index] == nil {
      let sites = entries[index].callSites
      guard !sites.isEmpty else {
        paths[index] = neighbours.sharedPath(around: index)
        continue
      }
      for copy in expansionCopies(around: index, entries) {
        let names = copy.compactMap { labelled[$0] }
        for member in copy where paths[member] == nil && entries[member].callSites == sites {
          paths[member] = names.isEmpty ? neighbours.sharedPath(around: member) : commonPrefix(names)
        }
      }
    }
    return paths.map { $0 ?? [] }
  }

  /// Rule 1: walking back from a labelled join over the layers written after its keyword
  /// (at the join's call level) gives the unlabelled layers of its branches.
  static func claimBranches(_ entries: [Report.Entry], _ paths: inout [[String]?]) {
    for (index, join) in entries.enumerated() where join.kind.isJoin && join.isLabelled {
      let levels = join.name.split(separator: ".").map(String.init)
      var member = index - 1
      while member >= 0, let site = entries[member].site(atLevelOf: join),
        site.start > join.range.start, !(entries[member].kind.isJoin && entries[member].range == join.range) {
        if paths[member] == nil { paths[member] = levels }
        member -= 1
      }
    }
  }

  /// The contiguous layers expanded from the same call as `index`, split into one list per
  /// copy where a `repeat` expands it several times (a copy restarts at the run's first layer).
  static func expansionCopies(around index: Int, _ entries: [Report.Entry]) -> [[Int]] {
    let sites = entries[index].callSites
    var (first, last) = (index, index)
    while first > 0, entries[first - 1].callSites.ends(with: sites) { first -= 1 }
    while last + 1 < entries.count, entries[last + 1].callSites.ends(with: sites) { last += 1 }
    let start = entries[first]
    var copies: [[Int]] = [[]]
    for member in first...last {
      let restarts = member > first && entries[member].range == start.range
        && entries[member].callSites == start.callSites
      if restarts { copies.append([]) }
      copies[copies.count - 1].append(member)
    }
    return copies
  }

  /// Nearest labelled layer before and after every index.
  private struct Neighbours {
    let labelled: [[String]?]
    var previous: [Int?] = []
    var next: [Int?] = []

    init(_ labelled: [[String]?]) {
      self.labelled = labelled
      var last: Int?
      for index in labelled.indices {
        previous.append(last)
        if labelled[index] != nil { last = index }
      }
      last = nil
      next = Array(repeating: nil, count: labelled.count)
      for index in labelled.indices.reversed() {
        next[index] = last
        if labelled[index] != nil { last = index }
      }
    }

    /// The levels shared by the labelled layers on both sides; top level at either end.
    func sharedPath(around index: Int) -> [String] {
      guard let before = previous[index].flatMap({ labelled[$0] }),
        let after = next[index].flatMap({ labelled[$0] })
      else { return [] }
      return commonPrefix([before, after])
    }
  }

  static func commonPrefix(_ paths: [[String]]) -> [String] {
    guard var prefix = paths.first else { return [] }
    for path in paths.dropFirst() {
      var shared = 0
      while shared < min(prefix.count, path.count), prefix[shared] == path[shared] { shared += 1 }
      prefix.removeLast(prefix.count - shared)
    }
    return prefix
  }
}

extension Report.Entry {
  /// Where this layer appears in the text `join` was written in: its own range when expanded
  /// at the join's call level, else the call at that level that led to it; nil when the layer
  /// comes from elsewhere.
  fileprivate func site(atLevelOf join: Report.Entry) -> SourceRange? {
    guard callSites.ends(with: join.callSites) else { return nil }
    let extra = callSites.count - join.callSites.count
    return extra == 0 ? range : callSites[extra - 1]
  }
}

extension Array where Element: Equatable {
  /// True when the array's last elements are `suffix` (call sites are innermost first).
  fileprivate func ends(with suffix: [Element]) -> Bool {
    count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
  }
}
