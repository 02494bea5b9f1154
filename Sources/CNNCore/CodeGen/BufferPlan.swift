/// Where every step's output lives in one activation arena.
///
/// The storages and their lifetimes come from `Liveness`, the model the report's
/// `peakActivationBytes` uses too; this file only assigns each storage an offset. No two storages
/// alive at the same step may overlap, so the arena is at least the live maximum (`peakBytes`);
/// the placement below reaches it on every spec in `Specs/` (MemoryPlanTests).
///
/// Placement is greedy over lifetime intervals, as TFLite's arena planner: take the storages in
/// some order and put each one in a free gap among the already placed storages whose lifetimes
/// overlap it. Several orders (largest first, chronological, longest-lived first, largest area
/// first) and two gap rules (best fit, lowest offset) are tried; the smallest arena wins, ties to
/// the first tried, so the plan is deterministic.
struct BufferPlan {
  /// Float offset of each step's output in the arena.
  var offsets: [Int]
  /// Float offset of each `Liveness` storage.
  var storageOffsets: [Int]
  /// Floats the arena holds.
  var arenaCount: Int
  /// The live maximum in bytes, network input excluded (the report's `peakActivationBytes`).
  var peakBytes: Int

  init(_ lowered: LoweredNetwork) {
    let liveness = lowered.liveness
    let peak = liveness.peakElements ?? 0
    peakBytes = peak * 4
    let (storageOffsets, extent) = Self.place(liveness.storages, bound: peak)
    self.storageOffsets = storageOffsets
    arenaCount = extent
    offsets = lowered.steps.map { step in
      let placement = liveness.placements[step.layer]
      return storageOffsets[placement.storage] + placement.offset
    }
  }

  typealias Interval = Liveness.Storage

  /// Offsets for `storages`, and the arena size they need; stops at the first plan of `bound`.
  static func place(_ storages: [Interval], bound: Int) -> (offsets: [Int], extent: Int) {
    let indices = Array(storages.indices)
    let orders: [[Int]] = [
      indices.sorted { (storages[$0].elements, -storages[$0].first) > (storages[$1].elements, -storages[$1].first) },
      indices,
      indices.sorted { (storages[$0].last - storages[$0].first, storages[$0].elements) > (storages[$1].last - storages[$1].first, storages[$1].elements) },
      indices.sorted { area(storages[$0]) > area(storages[$1]) },
    ]
    var best: (offsets: [Int], extent: Int)?
    for order in orders {
      for bestFit in [true, false] {
        let plan = place(storages, order: order, bestFit: bestFit)
        if best == nil || plan.extent < best!.extent { best = plan }
        if plan.extent <= bound { return plan }
      }
    }
    return best ?? ([], 0)
  }

  private static func area(_ interval: Interval) -> Int {
    interval.elements.multipliedReportingOverflow(by: interval.last - interval.first + 1).partialValue
  }

  /// One greedy pass: each storage goes into the best-fitting (or lowest) gap among the placed
  /// storages alive at the same time, or on top of them.
  static func place(_ storages: [Interval], order: [Int], bestFit: Bool) -> (offsets: [Int], extent: Int) {
    var offsets = Array(repeating: -1, count: storages.count)
    var placed: [Int] = []
    var extent = 0
    for index in order {
      let storage = storages[index]
      let size = storage.elements
      let busy = placed.filter { storages[$0].first <= storage.last && storage.first <= storages[$0].last }
        .map { (start: offsets[$0], end: offsets[$0] + storages[$0].elements) }
        .sorted { $0.start < $1.start }
      var chosen: (offset: Int, gap: Int)?
      var cursor = 0
      for block in busy {
        let gap = block.start - cursor
        if gap >= size, chosen == nil || (bestFit && gap < chosen!.gap) {
          chosen = (cursor, gap)
          if !bestFit { break }
        }
        cursor = max(cursor, block.end)
      }
      let offset = chosen?.offset ?? cursor
      offsets[index] = offset
      extent = max(extent, offset + size)
      placed.append(index)
    }
    return (offsets, extent)
  }
}
