/// What a kernel emitter knows about the step it writes: shapes, geometry, weight offsets and
/// the element-wise statements (the fused followers) to apply to each value before it is stored.
struct KernelContext {
  var lowered: LoweredNetwork
  var step: LoweredNetwork.Step
  /// SIMD lane count chosen from `--target-cpu` (16, 8 or 4).
  var lanes: Int
  /// Float offset of this step's packed weights in the weight arena.
  var weightOffset: Int
  /// Float offsets of per-channel data of in-place layers (PReLU slopes, standalone BN
  /// scale then shift).
  var followerOffsets: [Int: Int]
  /// Whether the target has fused multiply-add (`addingProduct`); without it kernels write
  /// `a + b * c` (codegen-notes pitfall 1).
  var fma: Bool = true
  /// Whether an `fc` kernel loads ahead in its weight stream (`SwiftGenerator.touchesAhead`).
  var touchesAhead: Bool = true
  /// Whether kernels keep their work memory small at some cost in speed (Winograd's blocks and
  /// products, `Convolution.winogradLeanProductsBytes`): set by `ClassEmitter` where the
  /// speed-first plan misses the memory target and the lean one meets it.
  var leanWork: Bool = false
  /// Class-level kernel functions shared between steps (nil: emit none, e.g. when sizing).
  var helpers: KernelHelpers? = nil

  var layerIndex: Int { step.layer }
  var layer: Layer { lowered.checked.layers[step.layer] }
  var attributes: LayerAttributes { lowered.attributes(step.layer) }
  var input: Shape { lowered.inputShape(step.layer) }
  var output: Shape { lowered.shape(step.layer) }
  var window: Window? { lowered.checked.windows[step.layer] }
  var inputShapes: [Shape] {
    lowered.checked.layers[step.layer].inputs.map {
      $0 == Layer.networkInput ? lowered.checked.network.input : lowered.shape($0)
    }
  }

  /// The step function's parameter holding a fused residual (`x1` after a convolution's `x0`:
  /// the last of `LoweredNetwork.inputs(of:)`), or nil when the step has none.
  var residualInput: String? {
    step.residual == nil ? nil : "x\(lowered.inputs(of: step).count - 1)"
  }

  /// `SIMD16<Float>` etc.
  var vectorType: String { "SIMD\(lanes)<Float>" }

  /// The most SIMD accumulators a register tile may hold: 24 of AVX-512's 32 vector registers
  /// (the rest hold the loaded weights and inputs; codegen-notes: ≤ ~26), 12 of AVX2's (and
  /// SSE's) 16, where a 15th and 16th hold two weight vectors and one the broadcast input (AVX2
  /// has no broadcast memory operand). Tiles sized for 32 registers spill on AVX2: on the Zen 3
  /// VM NiN ran at 58 ms against onnxruntime's 27 with 24-accumulator tiles. NEON's 32
  /// registers (lanes 4) are counted as 16: too small a tile costs a little, a spill a lot.
  var accumulators: Int { lanes >= 16 ? 24 : 12 }

  /// Whether the target has 16 vector registers (`accumulators` 12): the tile shapes and loop
  /// orders that differ from AVX-512's (2-vector GEMM and im2col panels, tap-major direct loops
  /// on interleaved rows and tap-major weights, packed 1x1 panels) all key on this one test.
  var hasSixteenRegisters: Bool { accumulators < 24 }

  /// The followers that can be applied value by value in a kernel's store: every follower up to
  /// the first `softmax` (which needs a whole pixel).
  var fusedFollowers: [Int] {
    Array(step.followers.prefix { lowered.checked.layers[$0].kind != .softmax })
  }

  /// Followers left for whole-tensor passes after the kernel.
  var passFollowers: [Int] { Array(step.followers.dropFirst(fusedFollowers.count)) }

  /// Statements that transform `v` (a `var v: Float`) for the fused followers, with `channel`
  /// naming the output channel (needed by PReLU and batch norm).
  func epilogue(channel: String) -> [String] {
    fusedFollowers.flatMap { Elementwise.statements(for: $0, in: self, channel: channel) }
  }

  /// `target = value` through the epilogue.
  func store(_ value: String, to target: String, channel: String) -> [String] {
    let statements = epilogue(channel: channel)
    if statements.isEmpty { return ["\(target) = \(value)"] }
    return ["do {", "  var v = \(value)"] + statements.map { "  " + $0 } + ["  \(target) = v", "}"]
  }
}

extension KernelContext {
  /// `acc + a * b` as the target computes it best: for an FMA target a call of the class's
  /// multiply-add helper (`FusedMultiplyAdd`), fused only when the file is built with the flags
  /// its header names; for other targets a plain multiply and add.
  func multiplyAdd(_ acc: String, _ a: String, _ b: String) -> String {
    guard fma else { return "\(acc) + \(a) * \(b)" }
    guard let helpers else { return "\(acc).addingProduct(\(a), \(b))" }
    let name = helpers.function("multiply-add \(vectorType)") { name in
      FusedMultiplyAdd.source(name, vector: vectorType)
    }
    return "Self.\(name)(\(acc), \(a), \(b))"
  }
}

/// Private static kernel functions of the generated class, keyed by everything their body
/// depends on, so that identical layers share one (codegen-notes pitfall 3: compile time).
final class KernelHelpers {
  private(set) var order: [String] = []
  private var bodies: [String: String] = [:]
  /// What the step being emitted needs of `scratch` (`Threading.emitPartBuffer`; `beginStep`
  /// clears it): `shared` floats for the step, then `part` floats for each thread. The class
  /// sizes its `scratch` buffer by the largest sum over the steps
  /// (`ClassEmitter.emitScratchCount`), or places a step's in the arena (`MemoryTarget`).
  private(set) var stepNeeds: Set<ScratchNeed> = []
  /// The most Ints any step takes per thread (`Threading.emitPartInts`).
  private(set) var partInts = 0

  struct ScratchNeed: Hashable {
    var shared, part: Int
  }

  func reserve(_ need: ScratchNeed) { stepNeeds.insert(need) }

  func beginStep() { stepNeeds = [] }

  func reservePart(ints: Int) { partInts = max(partInts, ints) }

  /// The function name for `key`, emitting its text (from `make(name)`) the first time.
  func function(_ key: String, _ make: (String) -> String) -> String {
    if let index = order.firstIndex(of: key) { return "__kernel\(index)" }
    let name = "__kernel\(order.count)"
    order.append(key)
    bodies[key] = make(name)
    return name
  }

  /// Lines of the functions emitted so far (`MemoryTarget` sizes the code from them).
  var lineCount: Int { order.reduce(0) { $0 + CNNCore.lineCount(bodies[$1]!) } }

  func emit(_ out: inout SwiftEmitter) {
    for key in order {
      out.line()
      out.lines(bodies[key]!)
    }
  }
}

/// Lines of emitted `text`.
func lineCount(_ text: String) -> Int {
  text.utf8.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
}

/// `for name in 0..<count`, the one loop header kernels use (literal bounds).
func forLoop(_ variable: String, _ count: Int) -> String {
  "for \(variable) in 0..<\(count)"
}

extension Set where Element == KernelHelpers.ScratchNeed {
  /// Floats of `scratch` these needs take with `parts` threads: the largest `shared + parts *
  /// part`, 0 for none.
  func floats(parts: Int) -> Int {
    map { $0.shared + parts * $0.part }.max() ?? 0
  }
}
