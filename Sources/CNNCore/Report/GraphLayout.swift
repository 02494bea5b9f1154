/// A layered layout for `Graph`, computed without Graphviz: ranks top to bottom, lanes left
/// to right.
///
/// - A node's rank is the longest path from the input, so parallel branches share ranks and
///   sit side by side, and a join sits below its longest branch.
/// - Lanes are columns. A node prefers its first producer's lane (a pipeline stays straight);
///   otherwise it takes the nearest free lane. A node reserves its lane from its own rank down
///   to the rank above its last consumer, because edges to far consumers run straight down the
///   producer's lane and only bend in the last gap. So no edge crosses a box.
struct GraphLayout {
  var rank: [Int]
  var lane: [Int]
  var laneCount: Int
  var rankCount: Int

  init(_ graph: Graph) {
    let count = graph.nodes.count
    let predecessors = graph.predecessors
    let successors = graph.successors
    var rank = Array(repeating: 0, count: count)
    for node in 0..<count {
      rank[node] = predecessors[node].map { rank[$0] + 1 }.max() ?? 0
    }
    var lane = Array(repeating: 0, count: count)
    var lanes = LaneBook()
    for node in 0..<count {
      let last = successors[node].map { rank[$0] - 1 }.max() ?? rank[node]
      let span = rank[node]...max(rank[node], last)
      let preferred = predecessors[node].first.map { lane[$0] } ?? 0
      lane[node] = lanes.reserve(span, preferring: preferred)
    }
    self.rank = rank
    self.lane = lane
    laneCount = max(1, (lane.max() ?? 0) + 1)
    rankCount = (rank.max() ?? 0) + 1
  }
}

/// Which rank intervals each lane has reserved, kept sorted for binary search.
private struct LaneBook {
  var intervals: [[ClosedRange<Int>]] = []

  /// Reserves `span` in the free lane nearest `preferred` (rightward first) and returns it.
  mutating func reserve(_ span: ClosedRange<Int>, preferring preferred: Int) -> Int {
    var distance = 0
    while true {
      for candidate in [preferred + distance, preferred - distance] where candidate >= 0 {
        if candidate >= intervals.count {
          intervals.append(contentsOf: Array(repeating: [], count: candidate - intervals.count + 1))
        }
        if let position = freePosition(span, in: candidate) {
          intervals[candidate].insert(span, at: position)
          return candidate
        }
      }
      distance += 1
    }
  }

  /// Where `span` would be inserted in `lane`, or nil when it overlaps a reservation.
  private func freePosition(_ span: ClosedRange<Int>, in lane: Int) -> Int? {
    let booked = intervals[lane]
    var low = 0
    var high = booked.count
    while low < high {  // first interval ending at or after span's start
      let mid = (low + high) / 2
      if booked[mid].upperBound < span.lowerBound { low = mid + 1 } else { high = mid }
    }
    if low < booked.count && booked[low].lowerBound <= span.upperBound { return nil }
    return low
  }
}
