/// Moves storages within the planned arena so that a step writes memory that the core writing
/// it was the last to touch.
///
/// Why: with two threads, a convolution split by output channels (`conv`, `fc`) reads its whole
/// input on every core, so afterwards each core's cache holds a copy of every line of it. The
/// greedy plan puts the next output over that just-freed input (a chain of steps ping-pongs
/// between two blocks), and each line a core then writes must first be invalidated in the other
/// core's cache. For a convolution that is noise; for the cheap steps that split by channel
/// ranges (depthwise, pooling, element-wise) it was most of their time: MobileNetV1's 14² x 512
/// depthwise layers took 0.045 ms at 2 threads against 0.036 at one (stop 31).
///
/// The pass models which core last touched each part of the arena: every core for a whole-input
/// read; for a step split into contiguous channel ranges, the first half core 0 and the second
/// core 1 (two threads, `Threading.plannedThreads`); core 0 for a step that is not split. Each
/// output of a split step that is not a convolution then goes where the same cores touched the
/// same parts within the last `recentSteps` steps, most recently touched first. The output of a
/// convolution read by such a step leaves that memory to it: it moves off it only if it sits on
/// some, to the most recently touched memory no core owns. In MobileNetV1's 14² stage that is a
/// rotation over three blocks instead of two (2T depthwise 0.045 → 0.020 ms, 1T level: the
/// blocks stay warm). Steps on one thread stay where they are: they are small, and moving them
/// measured worse (MobileNetV2's global pool wrote 80 lines a core had held 3 steps before, +0.02
/// ms at 1 and 2 threads), as did moving convolutions with no channel-wise reader (to colder memory).
///
/// Storages move only within the arena the greedy plan reached (the report's peak) and only to
/// places free during their whole lifetime, taken in order of birth; the plan is deterministic.
extension BufferPlan {
  /// How one layer's step reads its inputs, for the ownership model.
  enum Access: Equatable {
    /// A convolution or `fc`: every core reads the whole input.
    case readsWhole
    /// Element by element or channel by channel: a split step reads, on each core, the part of
    /// its input at the same place as the part of the output it writes.
    case alongOutput
    /// Runs over its input in place (a fused activation): nothing changes hands.
    case inPlace
  }

  /// Steps back within which a core's copy of a line is taken to be still in its cache. Older
  /// lines count only for warmth: a few steps of convolution stream a core's 1 MB L2 through.
  static let recentSteps = 3

  /// `offsets` (one per storage, placed within `extent`) with storages moved so that each step
  /// writes memory its own cores last touched (see the type's doc). `splitSteps[i]`: whether
  /// step `i` runs on several threads.
  static func placeForCoreSharing(_ storages: [Interval], offsets: [Int], extent: Int,
                                  lowered: LoweredNetwork, splitSteps: [Bool]) -> [Int] {
    let liveness = lowered.liveness
    let layers = lowered.checked.layers
    var planner = Planner(storages: storages, offsets: offsets, extent: extent)
    func isSplit(_ layer: Int) -> Bool {
      let step = lowered.stepOfLayer[layer]
      return step < splitSteps.count && splitSteps[step]
    }
    let accesses = layers.indices.map { access(of: layers[$0], sharing: liveness.sharing[$0]) }
    // Storages read by a split step that is no convolution: those want owned memory to be left.
    var readAlongOutput = Array(repeating: false, count: storages.count)
    for (index, layer) in layers.enumerated() where accesses[index] == .alongOutput && isSplit(index) {
      for input in layer.inputs where input >= 0 { readAlongOutput[liveness.placements[input].storage] = true }
    }
    // Outputs of convolutions not yet placed may be pushed aside: they do not mind where they go.
    planner.movable = storages.map { accesses[$0.first] == .readsWhole }
    let born = Dictionary(grouping: storages.indices, by: { storages[$0].first })
    for (index, layer) in layers.enumerated() {
      let access = accesses[index]
      let step = lowered.stepOfLayer[index]
      let split = isSplit(index)
      for storage in (born[index] ?? []).sorted() {
        // A step on one thread is small (`Threading.minimumWork`) and stays where it is; so
        // does a convolution's output without a reader that gains from its moving.
        if split && (access != .readsWhole || readAlongOutput[storage]) {
          planner.place(storage, wanted: ArenaHistory.Want(split: split, sinceStep: step - recentSteps,
                                                           leavesOwned: access == .readsWhole))
        }
        planner.placed.insert(storage)
      }
      guard access != .inPlace else { continue }
      func range(of value: Int) -> Range<Int> {
        let placement = liveness.placements[value]
        let start = planner.offsets[placement.storage] + placement.offset
        return start..<(start + (lowered.shape(value).elementCount ?? 0))
      }
      for input in layer.inputs where input >= 0 {
        planner.history.record(range(of: input), step: step, split: split, everyCore: split && access == .readsWhole)
      }
      planner.history.record(range(of: index), step: step, split: split, everyCore: false)
    }
    return planner.offsets
  }

  static func access(of layer: Layer, sharing: Liveness.Sharing) -> Access {
    if sharing != .own && layer.kind != .add { return .inPlace }
    switch layer.kind {
    case .conv, .deconv, .fc, .softmax: return .readsWhole
    default: return .alongOutput
    }
  }

  /// The pass's state: the offsets so far and the history of accesses up to the current step.
  private struct Planner {
    let storages: [Interval]
    var offsets: [Int]
    let extent: Int
    var history = ArenaHistory()
    /// Storages whose producer is a convolution.
    var movable: [Bool] = []
    /// Storages the pass has placed (at their birth).
    var placed: Set<Int> = []

    init(storages: [Interval], offsets: [Int], extent: Int) {
      self.storages = storages
      self.offsets = offsets
      self.extent = extent
    }

    /// Puts `storage` at the best place by `ArenaHistory.score` (ties: where it is, then the
    /// lowest offset). A place may overlap convolution outputs born later, which then move to
    /// the best place left for them; a place where one of them would not fit is skipped.
    mutating func place(_ storage: Int, wanted: ArenaHistory.Want) {
      let size = storages[storage].elements
      let current = offsets[storage]
      guard size > 0 else { return }
      let here = history.score(current..<(current + size), wanted)
      // A convolution's output moves only off memory the other steps want.
      if wanted.leavesOwned && here.matching == 0 { return }
      let pushable = Set(storages.indices.filter { !placed.contains($0) && movable[$0] && $0 != storage })
      var candidates: [(offset: Int, score: (matching: Int, recency: Int))] = [(current, here)]
      for start in starts(for: storage, ignoring: pushable) where start != current {
        candidates.append((start, history.score(start..<(start + size), wanted)))
      }
      // Best first; among equals the current offset, then the lowest.
      candidates.sort { a, b in
        if a.score != b.score { return a.score > b.score }
        if (a.offset == current) != (b.offset == current) { return a.offset == current }
        return a.offset < b.offset
      }
      for candidate in candidates {
        if candidate.offset == current { return }
        var trial = self
        trial.offsets[storage] = candidate.offset
        if trial.pushAside(from: storage, among: pushable) {
          self = trial
          return
        }
      }
    }

    /// Moves the storages in `pushable` that now overlap `storage` (in memory and lifetime) to
    /// the place best for a convolution's output; false if one fits nowhere.
    private mutating func pushAside(from storage: Int, among pushable: Set<Int>) -> Bool {
      let me = storages[storage]
      let mine = offsets[storage]..<(offsets[storage] + me.elements)
      for other in pushable.sorted() {
        let them = storages[other]
        guard them.overlapsInTime(me),
          mine.overlaps(offsets[other]..<(offsets[other] + them.elements))
        else { continue }
        let wanted = ArenaHistory.Want(split: true, sinceStep: Int.min, leavesOwned: true)
        guard let best = starts(for: other, ignoring: []).max(by: { a, b in
          let (x, y) = (history.score(a..<(a + them.elements), wanted), history.score(b..<(b + them.elements), wanted))
          return x != y ? x < y : a > b
        }) else { return false }
        offsets[other] = best
      }
      return true
    }

    /// Offsets where `storage` fits in the arena during its lifetime (storages in `ignoring`
    /// aside): each free range's two ends and the starts of recorded accesses inside it.
    private func starts(for storage: Int, ignoring: Set<Int>) -> [Int] {
      let me = storages[storage]
      let busy = storages.indices
        .filter { $0 != storage && !ignoring.contains($0) && storages[$0].overlapsInTime(me) }
        .map { offsets[$0]..<(offsets[$0] + storages[$0].elements) }
        .sorted { $0.lowerBound < $1.lowerBound }
      var gaps: [Range<Int>] = []
      var cursor = 0
      for block in busy {
        if block.lowerBound > cursor { gaps.append(cursor..<block.lowerBound) }
        cursor = max(cursor, block.upperBound)
      }
      if extent > cursor { gaps.append(cursor..<extent) }
      return gaps.filter { $0.count >= me.elements }.flatMap { gap in
        ([gap.lowerBound, gap.upperBound - me.elements] + history.boundaries(in: gap))
          .filter { $0 >= gap.lowerBound && $0 + me.elements <= gap.upperBound }
      }
    }
  }
}

/// Which core last touched each part of the arena, and at which step.
struct ArenaHistory {
  struct Segment {
    var range: Range<Int>
    var step: Int
    /// The core that last touched it; nil: every core read it.
    var core: Int?
  }

  /// What a step's output wants of the memory under it.
  struct Want {
    /// The step runs on two threads: core 0 writes the first half, core 1 the second.
    var split: Bool
    /// Accesses before this step are too old to count (only their recency does).
    var sinceStep: Int
    /// A convolution: take no memory a core owns (leave it to the steps that want it).
    var leavesOwned: Bool
  }

  /// Disjoint, sorted by start; memory no step touched yet is absent.
  private(set) var segments: [Segment] = []

  /// Step `step` touched `range`: on every core, or split in halves (core 0, core 1), or on
  /// core 0 alone.
  mutating func record(_ range: Range<Int>, step: Int, split: Bool, everyCore: Bool) {
    if everyCore || !split {
      record(Segment(range: range, step: step, core: everyCore ? nil : 0))
    } else {
      let middle = range.lowerBound + range.count / 2
      record(Segment(range: range.lowerBound..<middle, step: step, core: 0))
      record(Segment(range: middle..<range.upperBound, step: step, core: 1))
    }
  }

  private mutating func record(_ segment: Segment) {
    let range = segment.range
    guard !range.isEmpty else { return }
    var kept: [Segment] = []
    for old in segments {
      if old.range.upperBound <= range.lowerBound || old.range.lowerBound >= range.upperBound {
        kept.append(old)
        continue
      }
      if old.range.lowerBound < range.lowerBound {
        kept.append(Segment(range: old.range.lowerBound..<range.lowerBound, step: old.step, core: old.core))
      }
      if old.range.upperBound > range.upperBound {
        kept.append(Segment(range: range.upperBound..<old.range.upperBound, step: old.step, core: old.core))
      }
    }
    kept.append(segment)
    segments = kept.sorted { $0.range.lowerBound < $1.range.lowerBound }
  }

  /// Starts of recorded segments inside `gap`: candidate offsets that line up with old blocks.
  func boundaries(in gap: Range<Int>) -> [Int] {
    segments.map(\.range.lowerBound).filter { gap.contains($0) }
  }

  /// For an output at `range`: the floats whose recent last access was by the core that will
  /// write them (for a convolution, minus the floats any single core owns), then the
  /// floats-weighted recency of the last accesses (never touched counts as step -1).
  func score(_ range: Range<Int>, _ wanted: Want) -> (matching: Int, recency: Int) {
    let middle = range.lowerBound + range.count / 2
    var matching = 0
    var recency = 0
    for segment in segments {
      let low = max(segment.range.lowerBound, range.lowerBound)
      let high = min(segment.range.upperBound, range.upperBound)
      guard low < high else { continue }
      recency += (high - low) * (segment.step + 1)
      guard segment.step >= wanted.sinceStep, let core = segment.core else { continue }
      if wanted.leavesOwned {
        matching -= high - low
      } else if !wanted.split {
        if core == 0 { matching += high - low }
      } else {
        let first = max(low, min(high, middle)) - low
        matching += core == 0 ? first : (high - low) - first
      }
    }
    return (matching, recency / max(1, range.count))
  }
}
