/// Where every step's output lives in one activation arena, from liveness.
///
/// Definition shared with the report's `peakActivationBytes` (see docs/codegen.md): while a step
/// runs, its output and every tensor still needed (its inputs, the network input until its last
/// reader, tensors read by later steps, network outputs until the end) are live; layers that run
/// in place add nothing. `peakBytes` is the largest such sum. The network input is the caller's
/// memory, so the arena itself holds only the rest.
struct BufferPlan {
  /// Float offset of each step's output in the arena.
  var offsets: [Int]
  /// Element count of each step's output.
  var sizes: [Int]
  /// Floats the arena needs (at least the live maximum without the input; equal on chains).
  var arenaCount: Int
  /// The live maximum in bytes, network input included (the report's `peakActivationBytes`).
  var peakBytes: Int
  /// The last step that reads each step's output (`steps.count` for network outputs).
  var lastUse: [Int]

  init(_ lowered: LoweredNetwork) {
    let steps = lowered.steps
    let count = steps.count
    sizes = steps.map { lowered.shape($0.layer).elementCount ?? 0 }
    var lastUse = Array(0..<count)
    var inputLastUse = -1
    for (stepIndex, step) in steps.enumerated() {
      for input in lowered.checked.layers[step.layer].inputs {
        if let producer = lowered.step(holding: input) {
          lastUse[producer] = max(lastUse[producer], stepIndex)
        } else {
          inputLastUse = max(inputLastUse, stepIndex)
        }
      }
    }
    for output in lowered.checked.network.outputs {
      lastUse[lowered.stepOfLayer[output]] = count
    }
    self.lastUse = lastUse
    let inputCount = lowered.checked.network.input.elementCount ?? 0
    var peak = 0
    var arenaPeak = 0
    var live = 0
    var dying: [Int: Int] = [:]
    for stepIndex in 0..<count {
      live += sizes[stepIndex]
      arenaPeak = max(arenaPeak, live)
      peak = max(peak, live + (stepIndex <= inputLastUse ? inputCount : 0))
      dying[lastUse[stepIndex], default: 0] += sizes[stepIndex]
      live -= dying[stepIndex] ?? 0
    }
    peakBytes = peak * 4
    (offsets, arenaCount) = Self.place(sizes: sizes, lastUse: lastUse, target: arenaPeak)
  }

  /// Assigns offsets: best-fitting free gap below `target`, placed against the arena's top when
  /// the gap reaches it and against the bottom otherwise, which alternates the ends on a chain
  /// (ping-pong) so a chain needs exactly the live maximum; grows past `target` when nothing fits.
  private static func place(sizes: [Int], lastUse: [Int], target: Int) -> ([Int], Int) {
    var offsets = Array(repeating: 0, count: sizes.count)
    var extent = target
    for step in sizes.indices {
      let live = (0..<step).filter { lastUse[$0] >= step && sizes[$0] > 0 }
        .map { (start: offsets[$0], end: offsets[$0] + sizes[$0]) }
        .sorted { $0.start < $1.start }
      var gaps: [(start: Int, end: Int)] = []
      var cursor = 0
      for block in live {
        if block.start > cursor { gaps.append((cursor, block.start)) }
        cursor = max(cursor, block.end)
      }
      if extent > cursor { gaps.append((cursor, extent)) }
      let size = sizes[step]
      let fitting = gaps.filter { $0.end - $0.start >= size }
      if let gap = fitting.min(by: { $0.end - $0.start < $1.end - $1.start }) {
        offsets[step] = gap.end == extent ? gap.end - size : gap.start
      } else {
        offsets[step] = cursor
        extent = max(extent, cursor + size)
      }
    }
    let used = zip(offsets, sizes).map { $0 + $1 }.max() ?? 0
    return (offsets, used)
  }
}
