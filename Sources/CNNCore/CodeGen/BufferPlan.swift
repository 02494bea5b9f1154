/// Where every step's output, and every step's work memory, lives in one arena.
///
/// The storages and their lifetimes come from `Liveness`, the model the report's
/// `peakActivationBytes` uses too; this file only assigns each storage an offset. No two storages
/// alive at the same step may overlap, so the activations need at least the live maximum
/// (`peakBytes`); the placement below reaches it on every spec in `Specs/` (MemoryPlanTests).
///
/// Placement is greedy over lifetime intervals, as TFLite's arena planner: take the storages in
/// some order and put each one in a free gap among the already placed storages whose lifetimes
/// overlap it. Several orders (largest first, chronological, longest-lived first, largest area
/// first) and two gap rules (best fit, lowest offset) are tried; the smallest arena wins, ties to
/// the first tried, so the plan is deterministic. A second pass moves storages within that
/// arena so that the two threads write memory their own core last touched
/// (`placeForCoreSharing`).
///
/// A step's work memory (zero-padded input, packed panels, each thread's Winograd buffers, for
/// `Threading.plannedThreads` threads) is alive only while the step runs, so it can go into a
/// gap the activations leave at that step, as onnxruntime and TVM plan workspaces with the
/// tensors; `MemoryTarget` chooses the steps whose work memory does (`keepingWork`).
struct BufferPlan {
  /// Float offset of each step's output in the arena.
  var offsets: [Int]
  /// Float offset of each `Liveness` storage.
  var storageOffsets: [Int]
  /// Float offset of each step's work memory (`scratch` in the step), nil where it needs none;
  /// a multiple of 16 floats (a cache line).
  var workOffsets: [Int?]
  /// Floats of each step's work memory (0: none).
  var workCounts: [Int]
  /// Steps whose work memory is in the arena.
  var stepsWithWork: Int { workOffsets.lazy.filter { $0 != nil }.count }
  /// Floats the activations take (the storages' extent).
  var activationCount: Int
  /// Floats the arena holds: the activations and every step's work memory.
  var arenaCount: Int
  /// The live maximum in bytes, network input excluded (the report's `peakActivationBytes`).
  var peakBytes: Int

  /// The plan for `lowered`, with `workFloats[i]` floats of work memory for step `i` (none
  /// where the array is shorter); `splitSteps[i]`: whether step `i` runs on several threads
  /// (`placeForCoreSharing`).
  init(_ lowered: LoweredNetwork, workFloats: [Int] = [], splitSteps: [Bool] = []) {
    let liveness = lowered.liveness
    let peak = liveness.peakElements ?? 0
    let (greedy, extent) = Self.place(liveness.storages, bound: peak)
    let workCounts = lowered.steps.indices.map { $0 < workFloats.count ? max(0, workFloats[$0]) : 0 }
    let moved = Self.placeForCoreSharing(liveness.storages, offsets: greedy, extent: extent, lowered: lowered,
                                         splitSteps: splitSteps)
    let plain = BufferPlan(lowered, storageOffsets: greedy, extent: extent, workCounts: workCounts, peak: peak)
    let sharing = BufferPlan(lowered, storageOffsets: moved, extent: extent, workCounts: workCounts, peak: peak)
    // The moves keep the activations' extent, but their gaps may no longer hold a step's work.
    self = sharing.arenaCount <= plain.arenaCount && Self.isDisjoint(liveness.storages, at: moved, within: extent)
      ? sharing : plain
  }

  /// Whether no two storages alive at the same step overlap, all inside `0..<extent`.
  static func isDisjoint(_ storages: [Interval], at offsets: [Int], within extent: Int) -> Bool {
    for (index, storage) in storages.enumerated() {
      let range = offsets[index]..<(offsets[index] + storage.elements)
      guard range.lowerBound >= 0, range.upperBound <= extent else { return false }
      for other in storages.indices where other > index && storage.elements > 0 && storages[other].elements > 0 {
        if storages[other].overlapsInTime(storage),
          range.overlaps(offsets[other]..<(offsets[other] + storages[other].elements))
        { return false }
      }
    }
    return true
  }

  /// The plan with storages at `storageOffsets`, and each step's work memory in a gap.
  private init(_ lowered: LoweredNetwork, storageOffsets: [Int], extent: Int, workCounts: [Int], peak: Int) {
    let liveness = lowered.liveness
    peakBytes = peak * 4
    self.storageOffsets = storageOffsets
    activationCount = extent
    offsets = lowered.steps.map { step in
      let placement = liveness.placements[step.layer]
      return storageOffsets[placement.storage] + placement.offset
    }
    var arenaCount = extent
    self.workCounts = workCounts
    workOffsets = zip(lowered.steps, workCounts).map { step, floats in
      guard floats > 0 else { return nil }
      let during = Self.span(step)
      let busy = liveness.storages.indices
        .filter { liveness.storages[$0].first <= during.last && during.first <= liveness.storages[$0].last }
        .map { (start: storageOffsets[$0], end: storageOffsets[$0] + liveness.storages[$0].elements) }
      let offset = Self.gap(of: floats, among: busy, alignment: 16)
      arenaCount = max(arenaCount, offset + floats)
      return offset
    }
    self.arenaCount = arenaCount
  }

  /// The same plan with work memory in the arena only for `steps` (the others keep the class's
  /// `scratch` buffer: `MemoryTarget`). Work placements never overlap one another (each is
  /// alive during its own step only), so dropping some leaves the rest valid.
  func keepingWork(of steps: Set<Int>) -> BufferPlan {
    var plan = self
    plan.arenaCount = activationCount
    for index in workOffsets.indices {
      if steps.contains(index), let offset = workOffsets[index] {
        plan.arenaCount = max(plan.arenaCount, offset + workCounts[index])
      } else {
        plan.workOffsets[index] = nil
        plan.workCounts[index] = 0
      }
    }
    return plan
  }

  /// The layers a step runs (its own, its followers, a fused residual `add`): its work memory
  /// must not overlap anything alive during any of them.
  static func span(_ step: LoweredNetwork.Step) -> (first: Int, last: Int) {
    (step.layer, ([step.layer, step.residual?.add ?? step.layer] + step.followers).max()!)
  }

  /// The lowest `alignment`-aligned offset of the smallest gap between `busy` blocks that holds
  /// `size` floats, or the aligned end of the highest block.
  static func gap(of size: Int, among busy: [(start: Int, end: Int)], alignment: Int) -> Int {
    func aligned(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }
    var chosen: (offset: Int, gap: Int)?
    var cursor = 0
    for block in busy.sorted(by: { $0.start < $1.start }) {
      let start = aligned(cursor)
      let gap = block.start - start
      if gap >= size, chosen == nil || gap < chosen!.gap { chosen = (start, gap) }
      cursor = max(cursor, block.end)
    }
    return chosen?.offset ?? aligned(cursor)
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
      let busy = placed.filter { storages[$0].overlapsInTime(storage) }
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

extension Liveness.Storage {
  /// Whether the two are alive at a common step (their memory may not overlap).
  func overlapsInTime(_ other: Liveness.Storage) -> Bool {
    first <= other.last && other.first <= last
  }
}
