/// Which block each layer belongs to, as a list of name levels (`["layer1", "0"]`).
///
/// Labelled layers: their composed name without its last level (a labelled join: its whole
/// name, since it closes the block it names). Unlabelled layers have generated names without
/// a prefix, so their block is inferred: the levels shared by every labelled layer of the same
/// call expansion (the contiguous layers whose call sites end with this layer's), or, when that
/// expansion has no labels or the layer is not in a call, the levels shared by the nearest
/// labelled layers before and after it. Each expansion is scanned once, so this is linear in
/// the layer count times the call nesting depth.
enum BlockPaths {
  static func compute(_ entries: [Report.Entry]) -> [[String]] {
    var paths: [[String]?] = entries.map { entry in
      guard entry.isLabelled else { return nil }
      let levels = entry.name.split(separator: ".").map(String.init)
      return entry.kind.isJoin ? levels : Array(levels.dropLast())
    }
    let neighbours = Neighbours(paths)
    for index in entries.indices where paths[index] == nil {
      let sites = entries[index].callSites
      guard !sites.isEmpty else {
        paths[index] = neighbours.sharedPath(around: index)
        continue
      }
      var (first, last) = (index, index)
      while first > 0, entries[first - 1].callSites.ends(with: sites) { first -= 1 }
      while last + 1 < entries.count, entries[last + 1].callSites.ends(with: sites) { last += 1 }
      let labelled = (first...last).filter { entries[$0].isLabelled }.compactMap { neighbours.labelled[$0] }
      let path = labelled.isEmpty ? neighbours.sharedPath(around: index) : commonPrefix(labelled)
      for member in first...last where !entries[member].isLabelled && entries[member].callSites == sites {
        paths[member] = path
      }
    }
    return paths.map { $0 ?? [] }
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

extension Array where Element: Equatable {
  /// True when the array's last elements are `suffix` (call sites are innermost first).
  fileprivate func ends(with suffix: [Element]) -> Bool {
    count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
  }
}
