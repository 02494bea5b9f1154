/// The members of the generated network class.
///
/// The steps' kernels are emitted first (`init`), each into its own text, because what a step
/// needs of `scratch` is known only once its kernel is written, and that work memory may be
/// placed in the arena with the activations (`BufferPlan`, `MemoryTarget`), whose size the
/// class's storage and the file's header state before any step.
struct ClassEmitter {
  var lowered: LoweredNetwork
  var layout: WeightLayout
  var lanes: Int
  var source: SourceFile
  /// Shared kernel functions, emitted after the steps.
  let helpers: KernelHelpers
  /// Where activations and the steps' work memory live.
  let plan: BufferPlan
  /// Each step's comment lines and kernel body (unindented), in step order.
  private let stepComments: [[String]]
  private let stepBodies: [String]
  /// Each step's needs of `scratch`.
  private let stepNeeds: [Set<KernelHelpers.ScratchNeed>]
  /// Lines of the steps' kernels and the shared functions (`MemoryTarget` sizes the code by them).
  let kernelLines: Int

  /// Emits every step's kernel (`fma`, `touchesAhead`: see `KernelContext`) and plans the arena.
  /// Where that plan misses the memory target and the network has Winograd layers, the steps
  /// are emitted again with lean work memory (`KernelContext.leanWork`), kept if it meets it.
  init(lowered: LoweredNetwork, layout: WeightLayout, lanes: Int, source: SourceFile,
       fma: Bool = true, touchesAhead: Bool = true) {
    self.lowered = lowered
    self.layout = layout
    self.lanes = lanes
    self.source = source
    func emitted(leanWork: Bool) -> (steps: Steps, placed: BufferPlan, arenaSteps: Set<Int>?, kernelLines: Int) {
      let steps = Steps(lowered: lowered, layout: layout, lanes: lanes, source: source, fma: fma,
                        touchesAhead: touchesAhead, leanWork: leanWork)
      let work = steps.needs.map { $0.floats(parts: Threading.plannedThreads) }
      // A split step's kernel opens a `Self.parallelFor`/`parallelRanges`/`parallelParts` loop.
      let placed = BufferPlan(lowered, workFloats: work, splitSteps: steps.bodies.map { $0.contains("Self.parallel") })
      let kernelLines = steps.bodies.reduce(steps.helpers.lineCount) { $0 + lineCount($1) }
      return (steps, placed, MemoryTarget.stepsWithWorkInArena(
        placed, needs: steps.needs, weightFloats: layout.count, kernelLines: kernelLines, lowered: lowered),
        kernelLines)
    }
    var chosen = emitted(leanWork: false)
    if chosen.arenaSteps == nil && !Convolution.winogradLayers(lowered, lanes: lanes).isEmpty {
      let lean = emitted(leanWork: true)
      if lean.arenaSteps != nil { chosen = lean }
    }
    helpers = chosen.steps.helpers
    stepComments = chosen.steps.comments
    stepBodies = chosen.steps.bodies
    stepNeeds = chosen.steps.needs
    kernelLines = chosen.kernelLines
    plan = chosen.placed.keepingWork(of: chosen.arenaSteps ?? [])
  }

  /// Every step's kernel text and its needs of `scratch`.
  private struct Steps {
    let helpers = KernelHelpers()
    var comments: [[String]] = []
    var bodies: [String] = []
    var needs: [Set<KernelHelpers.ScratchNeed>] = []

    init(lowered: LoweredNetwork, layout: WeightLayout, lanes: Int, source: SourceFile, fma: Bool,
         touchesAhead: Bool, leanWork: Bool) {
      var offsets = layout.layerOffsets
      for (key, value) in layout.stepOffsets { offsets[key] = value }
      for step in lowered.steps {
        helpers.beginStep()
        let context = KernelContext(lowered: lowered, step: step, lanes: lanes,
                                    weightOffset: layout.stepOffsets[step.layer] ?? 0, followerOffsets: offsets,
                                    fma: fma, touchesAhead: touchesAhead, leanWork: leanWork,
                                    helpers: helpers)
        comments.append(StepComment.lines(step, context: context, source: source))
        var body = SwiftEmitter()
        ClassEmitter.emitKernel(context, &body)
        bodies.append(body.text)
        needs.append(helpers.stepNeeds)
      }
    }
  }

  private var checked: CheckedNetwork { lowered.checked }
  private var outputCounts: [Int] { checked.network.outputs.map { lowered.shape($0).elementCount ?? 0 } }

  func emit(_ out: inout SwiftEmitter) {
    let functionNames = lowered.steps.map { out.uniqueName(checked.layers[$0.layer].name) }
    emitConstants(&out)
    emitStorage(&out)
    emitForward(functionNames, &out)
    for index in lowered.steps.indices {
      out.line()
      emitStep(index, name: functionNames[index], &out)
    }
    if !helpers.order.isEmpty {
      out.line()
      out.line("// MARK: - Kernels shared by the steps")
      helpers.emit(&out)
    }
    out.line()
    out.line("// MARK: - Threading")
    out.line()
    emitScratchCount(&out)
    out.line()
    out.lines(Threading.source)
    out.line()
    out.line("// MARK: - Weights file")
    out.line()
    out.lines(SafetensorsLoader.source)
    out.line()
    out.lines(WeightLayout.packers)
  }

  private func emitConstants(_ out: inout SwiftEmitter) {
    let input = checked.network.input
    let shapes = checked.network.outputs.map { lowered.shape($0) }
    out.line("/// The input as `[channels, height, width]`.")
    out.line("public static let inputShape = \(Literal.ints([input.channels, input.height, input.width]))")
    out.line("/// Each output as `[channels, height, width]`, in `output` order.")
    out.line("public static let outputShapes: [[Int]] = [\(shapes.map { Literal.ints([$0.channels, $0.height, $0.width]) }.joined(separator: ", "))]")
    out.line("/// Every layer in execution order, as the report names them.")
    out.line("public static let layerNames: [String] = [")
    for layer in checked.layers { out.line("  \"\(layer.name)\",") }
    out.line("]")
    out.line("/// Floats in the input and in each output.")
    out.line("public static let inputCount = \(input.elementCount ?? 0)")
    out.line("public static let outputCounts = \(Literal.ints(outputCounts))")
    out.line()
    out.line("private static let expected: [Expected] = [")
    for tensor in layout.tensors {
      out.line("  Expected(name: \"\(tensor.name)\", shape: \(Literal.ints(tensor.shape)), ignored: \(tensor.ignored)),")
    }
    out.line("]")
    if !layout.constants.isEmpty {
      out.line("/// Weights written in the spec (`weights=[…]`, `bias=[…]`).")
      out.line("private static let constants: [(name: String, values: [Float])] = [")
      for constant in layout.constants {
        out.line("  (\"\(constant.name)\", [\(constant.values.map { Literal.float($0) }.joined(separator: ", "))]),")
      }
      out.line("]")
    }
    out.line()
  }

  private func emitStorage(_ out: inout SwiftEmitter) {
    out.line("/// Packed weights, \(layout.count) floats.")
    out.line("private let weights: UnsafeMutablePointer<Float>")
    if plan.stepsWithWork > 0 {
      out.line("/// Activations: every step's output at a fixed offset (see docs/codegen.md); and the work")
      out.line("/// memory of the steps that declare their own `scratch`, in a gap the activations leave while")
      out.line("/// they run (up to \(Threading.plannedThreads) threads), \(plan.arenaCount) floats.")
    } else {
      out.line("/// Activations: every step's output at a fixed offset (see docs/codegen.md), \(plan.arenaCount) floats.")
    }
    out.line("private let arena: UnsafeMutablePointer<Float>")
    out.line("/// Working memory of the steps (zero-padded inputs, packed panels) followed by each thread's")
    out.line("/// work buffers (staging tiles, gathered panels, Winograd's transformed input and products),")
    out.line("/// `scratchCount(parts: partCapacity)` floats; and each thread's `partIntStride` Ints.")
    out.line("/// Sized for `partCapacity` threads, at least `threads`, so that `forward` allocates nothing.")
    out.line("private var scratch: UnsafeMutablePointer<Float>")
    out.line("private var partInts: UnsafeMutablePointer<Int>")
    out.line("private var partCapacity: Int")
    out.line()
    out.line("/// Threads `forward` may use for its large layers (1: only the calling thread); may be")
    out.line("/// changed between calls (more threads than before allocate their work buffers here).")
    out.block("public var threads: Int") { out in
      out.block("didSet") { out in
        out.block("if threads > partCapacity") { out in
          out.line("scratch.deallocate()")
          out.line("partInts.deallocate()")
          out.line("partCapacity = threads")
          out.line("(scratch, partInts) = Self.allocateScratch(parts: partCapacity)")
        }
      }
    }
    out.line("/// Worker threads for the split layers, started by the first one (see `WorkerPool`).")
    out.line("private let pool = WorkerPool()")
    out.line()
    emitInitializers(&out)
    out.line()
    out.block("deinit") { out in
      out.line("weights.deallocate()")
      out.line("arena.deallocate()")
      out.line("scratch.deallocate()")
      out.line("partInts.deallocate()")
      out.line("pool.stop()")
    }
    out.line()
    out.line("/// Zeroed `scratch` and Int work buffers for `parts` threads.")
    out.block("private static func allocateScratch(parts: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int>)") { out in
      out.line("(allocateZeroed(Float.self, count: scratchCount(parts: parts)), allocateZeroed(Int.self, count: parts &* partIntStride))")
    }
    out.line()
    out.line("/// `count` zeros (at least one), on a 64-byte boundary: whole cache lines for the vector loads.")
    out.block("private static func allocateZeroed<T: Numeric>(_: T.Type, count: Int) -> UnsafeMutablePointer<T>") { out in
      out.line("let count = max(count, 1)")
      out.line("let values = UnsafeMutableRawPointer.allocate(byteCount: count &* MemoryLayout<T>.stride, alignment: 64).bindMemory(to: T.self, capacity: count)")
      out.line("values.initialize(repeating: 0, count: count)")
      out.line("return values")
    }
  }

  /// `scratchCount(parts:)`: the largest `shared + parts * part` over the steps' needs (those
  /// another need covers dropped; each convolution records its own scratch as a need with no
  /// part) — up to `Threading.plannedThreads` threads only of the steps whose work memory is
  /// not in the arena — and `partIntStride`.
  private func emitScratchCount(_ out: inout SwiftEmitter) {
    func terms(_ needs: Set<KernelHelpers.ScratchNeed>) -> String {
      let kept = needs.filter { need in
        !needs.contains { $0 != need && $0.shared >= need.shared && $0.part >= need.part }
      }.sorted { ($0.part, $0.shared) < ($1.part, $1.shared) }
      let terms = ["1"] + kept.map { $0.part == 0 ? "\($0.shared)" : "\($0.shared) &+ parts &* \($0.part)" }
      return terms.count == 1 ? "1" : "max(\(terms.joined(separator: ", ")))"
    }
    func union(_ steps: [Int]) -> Set<KernelHelpers.ScratchNeed> {
      steps.reduce(into: []) { $0.formUnion(stepNeeds[$1]) }
    }
    let all = union(Array(stepNeeds.indices))
    let outside = union(stepNeeds.indices.filter { plan.workOffsets[$0] == nil })
    out.line("/// Floats of `scratch` for `parts` threads: the most any step needs (its own scratch, then")
    if outside == all {
      out.line("/// each thread's work buffer).")
      out.block("private static func scratchCount(parts: Int) -> Int") { out in
        out.line(terms(all))
      }
    } else {
      out.line("/// each thread's work buffer); up to \(Threading.plannedThreads) threads, steps with work memory in the")
      out.line("/// arena need none.")
      out.block("private static func scratchCount(parts: Int) -> Int") { out in
        out.line("parts > \(Threading.plannedThreads) ? \(terms(all)) : \(terms(outside))")
      }
    }
    out.line("/// Ints of each thread's `partInts`.")
    out.line("private static let partIntStride = \(max(16, Threading.cacheLines(helpers.partInts)))")
  }

  /// The public initializers and the private one that allocates the buffers and packs the
  /// weights. Loading streams the file (`Safetensors`) into `weights`; an I/O error met while
  /// streaming is thrown once the instance exists (its `deinit` frees the buffers).
  private func emitInitializers(_ out: inout SwiftEmitter) {
    let constants = layout.constants.isEmpty ? "[]" : "Self.constants"
    let defaultThreads = "Self.onlineProcessors"
    out.line("/// The processors online: the default thread count. (Not `ProcessInfo`, whose first use")
    out.line("/// costs ~2 MB of resident memory: a model without weights measured 2.4 MB with it, 0.3 MB without.)")
    out.block("private static var onlineProcessors: Int") { out in
      out.line("max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))")
    }
    out.line()
    out.line("/// Loads PyTorch weights from a safetensors file; throws `WeightsError` naming the tensor.")
    out.block("public convenience init(weights url: URL) throws") { out in
      out.line("try self.init(weightsPath: url.path, threads: \(defaultThreads))")
    }
    out.line()
    out.line("/// Same, running large layers on `threads` threads.")
    out.block("public convenience init(weights url: URL, threads: Int) throws") { out in
      out.line("try self.init(weightsPath: url.path, threads: threads)")
    }
    out.line()
    out.line("/// Loads PyTorch weights from the safetensors file at `path`. Prefer it where resident memory")
    out.line("/// counts: the first use of Foundation's `URL` costs ~2 MB, which this path never touches.")
    out.block("public convenience init(weightsPath path: String) throws") { out in
      out.line("try self.init(weightsPath: path, threads: \(defaultThreads))")
    }
    out.line()
    out.line("/// Same, running large layers on `threads` threads.")
    out.block("public convenience init(weightsPath path: String, threads: Int) throws") { out in
      out.line("let file = try Safetensors(path: path, expected: Self.expected, constants: \(constants))")
      out.line("self.init(file: file, threads: threads)")
      out.line("if let failure = file.failure { throw failure }")
    }
    if layout.isConstant {
      out.line()
      out.line("/// Every weight is written in the spec.")
      out.block("public convenience init()") { out in
        out.line("self.init(threads: \(defaultThreads))")
      }
      out.line()
      out.block("public convenience init(threads: Int)") { out in
        out.line("self.init(file: Safetensors(constants: \(constants)), threads: threads)")
      }
    }
    out.line()
    out.block("private init(file: Safetensors, threads: Int)") { out in
      out.line("self.threads = max(1, threads)")
      out.line("partCapacity = self.threads")
      out.line("(scratch, partInts) = Self.allocateScratch(parts: partCapacity)")
      out.line("weights = Self.allocateZeroed(Float.self, count: \(layout.count))")
      out.line("arena = Self.allocateZeroed(Float.self, count: \(plan.arenaCount))")
      if layout.packing.isEmpty { out.line("_ = file") }
      layout.packing.forEach { out.line($0) }
    }
  }

  private func emitForward(_ names: [String], _ out: inout SwiftEmitter) {
    let outputs = checked.network.outputs
    out.line()
    out.line("/// Runs the network on `input` (C,H,W, `inputCount` floats) and writes every output, in")
    out.line("/// `output` order, to `outputs` (`outputCounts[i]` floats each); allocates nothing.")
    out.block("public func forward(input: UnsafePointer<Float>, outputs: [UnsafeMutablePointer<Float>])") { out in
      out.line("precondition(outputs.count == \(outputs.count), \"\(checked.network.name) has \(outputs.count) output(s); got \\(outputs.count) buffers\")")
      for (index, step) in lowered.steps.enumerated() {
        let inputs = lowered.inputs(of: step).map { input -> String in
          guard let producer = lowered.step(holding: input) else { return "input" }
          return "UnsafePointer(arena + \(plan.offsets[producer]))"
        }
        out.line("\(names[index])(\(inputs.joined(separator: ", ")), arena + \(plan.offsets[index]))")
      }
      for (index, output) in outputs.enumerated() {
        let offset = plan.offsets[lowered.stepOfLayer[output]]
        out.line("outputs[\(index)].update(from: arena + \(offset), count: \(outputCounts[index]))")
      }
    }
    out.line()
    out.line("/// Every output, in `output` order; `input` is C,H,W flattened.")
    out.block("public func forwardAll(_ input: [Float]) -> [[Float]]") { out in
      out.line("precondition(input.count == Self.inputCount, \"\(checked.network.name) expects \\(Self.inputCount) input values (\\(Self.inputShape) as C,H,W); got \\(input.count)\")")
      out.line("let buffers = Self.outputCounts.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }")
      out.line("defer { buffers.forEach { $0.deallocate() } }")
      out.line("input.withUnsafeBufferPointer { forward(input: $0.baseAddress!, outputs: buffers) }")
      out.line("return zip(buffers, Self.outputCounts).map { Array(UnsafeBufferPointer(start: $0, count: $1)) }")
    }
    out.line()
    out.line("/// The first output (C,H,W flattened).")
    out.block("public func forward(_ input: [Float]) -> [Float]") { out in
      out.line("forwardAll(input)[0]")
    }
  }

  private func emitStep(_ index: Int, name: String, _ out: inout SwiftEmitter) {
    for line in stepComments[index] { out.line("// " + line) }
    let inputs = lowered.inputs(of: lowered.steps[index]).indices.map { "_ x\($0): UnsafePointer<Float>" }
    out.block("private func \(name)(\(inputs.joined(separator: ", ")), _ y: UnsafeMutablePointer<Float>)") { out in
      if let offset = plan.workOffsets[index] {
        out.line("let scratch = threads <= \(Threading.plannedThreads) ? arena + \(offset) : self.scratch")
      }
      let body = stepBodies[index]
      if !body.isEmpty { out.lines(String(body.dropLast())) }
    }
  }

  private static func emitKernel(_ context: KernelContext, _ out: inout SwiftEmitter) {
    switch context.layer.kind {
    case .conv, .dwconv: Convolution.emit(context, &out)
    case .deconv: Deconvolution.emit(context, &out)
    case .fc: FullyConnected.emit(context, &out)
    case .maxpool, .avgpool, .gap, .gmp, .adaptiveavgpool, .spp: Pooling.emit(context, &out)
    case .flatten, .upsample, .zeropad, .concat, .add, .lrn: Shaping.emit(context, &out)
    default: Elementwise.emitCopy(context, &out)
    }
  }
}
