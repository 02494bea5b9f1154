/// The resident memory generated code plans for — the model's weights and peak activations
/// (`cnnc report`'s `weightBytes` and `peakActivationBytes`) plus 10 % (issue 6's target) — and
/// which steps keep their work memory in the arena to stay within it.
///
/// A step's work memory (`scratch`: zero-padded inputs, packed panels, each thread's staging
/// tiles and Winograd buffers) can live in two places:
/// - **a buffer of its own** beside the arena, shared by all steps, each thread's part at the
///   same address in every step. A thread then finds its part's lines in its own core's cache;
///   on this VM's two dies that matters (ResNet-18, 2 threads on cores of different dies: 19.4
///   ms with the buffer, 20.2 ms with its Winograd parts in the arena, where each step's parts
///   land on lines the other core wrote last). But the buffer is as large as the largest step
///   needs and stays resident: SqueezeNet 1.1's Winograd layers made it 1.34 MB, 15 % of
///   weights and activations.
/// - **a gap the activations leave** while the step runs (`BufferPlan.workOffsets`), which
///   costs nothing where the gap is large enough.
///
/// So the steps that need the most move into the arena, largest first, as few as meet the
/// target; where no choice meets it, none moves (speed first, as Winograd's budget does where
/// the target is out of reach).
enum MemoryTarget {
  /// The share of weights + peak activations a model may add: 10 %.
  static let share = 0.10

  /// Floats a process running a generated model holds beyond its buffers: code pages, the
  /// worker thread, the loader. Measured as model RSS minus weights, arena and scratch
  /// (Benchmarks/README.md), it is about the binary's size: 0.13 MB (LeNet-5, a 0.15 MB
  /// binary), 0.65 (GoogLeNet, 0.57) and 0.97 (DenseNet-121, 1.02). The binaries run 50-69
  /// bytes per line of the generated file, so the estimate is 64 bytes (16 floats) per line,
  /// the kernels' `kernelLines` plus 1,500 for the class around them, and never less than 0.5
  /// MB (the flat figure this replaced, which left GoogLeNet planned 0.15 MB short and measured
  /// at 1.100 of its weights and activations).
  static func processOverheadFloats(kernelLines: Int) -> Int {
    max(131_072, 16 * (kernelLines + 1_500))
  }

  /// Weights and buffers (`report`'s parameters + buffers) plus peak activations, in floats;
  /// nil on overflow.
  static func baseFloats(_ lowered: LoweredNetwork) -> Int? {
    let checked = lowered.checked
    var total = lowered.liveness.peakElements ?? 0
    for (index, layer) in checked.layers.enumerated() {
      guard let output = checked.shapes[index], let attributes = layer.attributes else { continue }
      let model = CostModel(layer: layer, attributes: attributes,
                            inputs: checked.inputShapes(of: index).compactMap { $0 }, output: output,
                            window: checked.windows[index])
      guard let cost = try? model.cost() else { return nil }
      total += cost.params + cost.buffers
    }
    return total
  }

  /// The steps whose work memory goes into the arena: the fewest, taken by need largest first,
  /// with which packed weights + arena + the separate buffer (at `Threading.plannedThreads`
  /// threads) + `processOverheadFloats` stay within the target; nil when no choice does (the
  /// caller then moves none).
  /// `plan` places every step's work (`BufferPlan.workOffsets`); `needs[i]` is step `i`'s;
  /// `kernelLines` counts the lines of the steps' kernels and shared functions.
  static func stepsWithWorkInArena(_ plan: BufferPlan, needs: [Set<KernelHelpers.ScratchNeed>],
                                   weightFloats: Int, kernelLines: Int, lowered: LoweredNetwork) -> Set<Int>? {
    guard let base = baseFloats(lowered) else { return nil }
    let limit = Double(base) * (1 + share)
    let order = plan.workCounts.indices.filter { plan.workCounts[$0] > 0 }
      .sorted { (plan.workCounts[$0], -$0) > (plan.workCounts[$1], -$1) }
    // Moving the first `k` of `order`: the arena reaches the highest end among them, the
    // separate buffer the largest need among the rest (the suffix maximum).
    var suffix = Array(repeating: 0, count: order.count + 1)
    for k in stride(from: order.count - 1, through: 0, by: -1) {
      suffix[k] = max(suffix[k + 1], needs[order[k]].floats(parts: Threading.plannedThreads))
    }
    let overhead = processOverheadFloats(kernelLines: kernelLines)
    var arena = plan.activationCount
    for k in 0...order.count {
      if k > 0 {
        let step = order[k - 1]
        arena = max(arena, plan.workOffsets[step]! + plan.workCounts[step])
      }
      let total = weightFloats + arena + suffix[k] + overhead
      if Double(total) <= limit { return Set(order.prefix(k)) }
    }
    return nil
  }
}
