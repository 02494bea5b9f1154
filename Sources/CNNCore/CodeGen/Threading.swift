/// Threading in generated code (docs/codegen.md, "Threading").
///
/// The generated class has `public var threads: Int` (default
/// the processors online, `sysconf(_SC_NPROCESSORS_ONLN)`; also an `init(weights:threads:)` argument), a
/// `pool` of worker threads and the private helpers `parallelFor`/`parallelRanges`/`parallelParts`
/// emitted by `source`. Kernel emitters decide at generation time whether a step is worth
/// splitting (`worthSplitting`) and, if so, open their outer loop with `emitLoop(…, parallel:
/// true)` (or `emitRanges`, `emitParts`): the iterations are cut into `threads` contiguous ranges,
/// the first run by the calling thread and the others by the pool's workers. Iterations must
/// write disjoint outputs; the body may read `weights`, `scratch`, the inputs and `y`, and a range
/// that needs working memory takes its part's slice of `scratch` (`emitPartBuffer`).
enum Threading {
  /// Multiply-adds (or comparable element operations) below which a step stays on the calling
  /// thread. Handing a part to a spinning pool worker costs ~1 µs (measured: 0.3–1 µs per
  /// `run` on this 2-vCPU VM, against 3–15 µs for `concurrentPerform`), and 1 M MACs are ~20 µs
  /// on one core, so a split from here on saves several times its cost.
  static let minimumWork = 1_000_000

  /// Whether a step doing `work` multiply-adds (or element operations) over `iterations`
  /// independent outer iterations should run its outer loop on several threads.
  static func worthSplitting(work: Int, iterations: Int) -> Bool {
    work >= minimumWork && iterations >= 2
  }

  /// `for variable in 0..<count { body }`, or when `parallel`
  /// `Self.parallelFor(count, threads: threads, pool: pool) { variable in body }`.
  static func emitLoop(_ variable: String, _ count: Int, parallel: Bool,
                       _ out: inout SwiftEmitter, _ body: (inout SwiftEmitter) -> Void) {
    if parallel {
      out.block("Self.parallelFor(\(count), threads: threads, pool: pool)") { out in
        out.line("\(variable) in")
        body(&out)
      }
    } else {
      out.block(forLoop(variable, count), body)
    }
  }

  /// `do { let (first, end) = (0, count); body }`, or when `parallel`
  /// `Self.parallelRanges(count, threads: threads, pool: pool) { first, end in body }`: one range
  /// of `0..<count` per thread, for kernels that order their own loops inside a range.
  static func emitRanges(_ count: Int, parallel: Bool, _ out: inout SwiftEmitter,
                         _ body: (inout SwiftEmitter) -> Void) {
    if parallel {
      out.block("Self.parallelRanges(\(count), threads: threads, pool: pool)") { out in
        out.line("first, end in")
        body(&out)
      }
    } else {
      out.block("do") { out in
        out.line("let first = 0, end = \(count)")
        body(&out)
      }
    }
  }

  /// `emitRanges` that also names the range's `part` (`0..<threads`), which indexes the
  /// part's work buffers (`emitPartBuffer`).
  static func emitParts(_ count: Int, parallel: Bool, _ out: inout SwiftEmitter,
                        _ body: (inout SwiftEmitter) -> Void) {
    if parallel {
      out.block("Self.parallelParts(\(count), threads: threads, pool: pool)") { out in
        out.line("part, first, end in")
        body(&out)
      }
    } else {
      // `part` only where the body reads it: an unused constant is a compiler warning.
      var inner = SwiftEmitter()
      body(&inner)
      var text = inner.text
      while text.hasSuffix("\n") { text.removeLast() }
      let readsPart = text.range(of: #"(?<![\w.])part(?!\w)"#, options: .regularExpression) != nil
      out.block("do") { out in
        out.line(readsPart ? "let part = 0, first = 0, end = \(count)" : "let first = 0, end = \(count)")
        out.lines(text)
      }
    }
  }

  /// `emitLoop` for a body that uses its part's work buffers: the loop runs inside
  /// `emitParts`, one range of iterations per part.
  static func emitPartLoop(_ variable: String, _ count: Int, parallel: Bool,
                           _ out: inout SwiftEmitter, _ body: (inout SwiftEmitter) -> Void) {
    emitParts(count, parallel: parallel, &out) { out in
      out.block("for \(variable) in first..<end", body)
    }
  }

  /// `do { let buffer = <count floats of this part's work buffer>; body }`: what
  /// `withUnsafeTemporaryAllocation` would give, without allocating. (On Linux that call uses
  /// the stack only up to 1 KB and otherwise mallocs and frees on every call, which `forward`
  /// must not.) The part's floats follow the step's own scratch (`Convolution.scratchCount`) in
  /// `scratch`, one cache-line-rounded slice per part; `context.helpers` records the need, and
  /// the class sizes `scratch` for the largest step at its thread count. Needs `part` in scope
  /// (`emitParts`).
  static func emitPartBuffer(_ count: Int, _ context: KernelContext, _ out: inout SwiftEmitter,
                             _ body: (inout SwiftEmitter) -> Void) {
    let need = partNeed(count, context)
    context.helpers?.reserve(need)
    out.block("do") { out in
      out.line("let buffer = UnsafeMutableBufferPointer(start: scratch + (\(need.shared) &+ part &* \(need.part)), count: \(count))")
      body(&out)
    }
  }

  /// Where a step's `count` floats per part go in `scratch`: after its shared scratch, rounded
  /// to whole cache lines.
  static func partNeed(_ count: Int, _ context: KernelContext) -> KernelHelpers.ScratchNeed {
    let kind = context.layer.kind
    let shared = kind == .conv || kind == .dwconv ? Convolution.scratchCount(context) : 0
    return KernelHelpers.ScratchNeed(shared: cacheLines(shared), part: cacheLines(count))
  }

  /// The threads the memory budget plans part buffers for (`Convolution.winogradLayers`).
  static let plannedThreads = 2

  /// `let name = <count Ints of this part's work buffer>` (`partInts`, allocated per thread).
  static func emitPartInts(_ name: String, _ count: Int, _ context: KernelContext, _ out: inout SwiftEmitter) {
    context.helpers?.reservePart(ints: count)
    out.line("let \(name) = partInts + part &* Self.partIntStride")
  }

  /// `count` floats (or Ints) rounded up to whole 64-byte lines, so that the parts of different
  /// threads never share one.
  static func cacheLines(_ count: Int) -> Int { (count + 15) / 16 * 16 }

  /// The helpers every generated class carries: `parallelFor`/`parallelRanges`/`parallelParts`
  /// (private static, so unused is fine) and the `WorkerPool` type of the class's `pool` member.
  static let source = #"""
/// Runs `body(0..<count)` cut into `threads` contiguous ranges (part 0 on the calling thread, the
/// others on `pool`), all on the calling thread when `threads <= 1` (or `count <= 1`); iterations
/// must write disjoint memory.
private static func parallelFor(_ count: Int, threads: Int, pool: WorkerPool, _ body: (Int) -> Void) {
  parallelRanges(count, threads: threads, pool: pool) { first, end in
    for index in first..<end { body(index) }
  }
}

/// Runs `body(first, end)` for `threads` contiguous ranges covering `0..<count` (part 0 on the
/// calling thread, the others on `pool`), on the calling thread alone when `threads <= 1` (or
/// `count <= 1`); ranges must write disjoint memory. The cut depends only on `count` and
/// `threads`, so results do not depend on which thread runs which part.
private static func parallelRanges(_ count: Int, threads: Int, pool: WorkerPool, _ body: (Int, Int) -> Void) {
  parallelParts(count, threads: threads, pool: pool) { _, first, end in body(first, end) }
}

/// `parallelRanges` that also passes each range's part number (`0..<threads`), which indexes
/// the part's work buffers (in `scratch`, and `partInts`).
private static func parallelParts(_ count: Int, threads: Int, pool: WorkerPool, _ body: (Int, Int, Int) -> Void) {
  let parts = min(threads, count)
  if parts <= 1 {
    body(0, 0, count)
    return
  }
  pool.run(parts) { part in body(part, part &* count / parts, (part &+ 1) &* count / parts) }
}

/// Worker threads kept for the model's lifetime (started on the first split layer, `threads - 1`
/// of them), so the split layers of a forward pass do not each pay a thread wake-up (GCD's
/// `concurrentPerform` did: tens of µs per layer on a VM once its workers slept).
///
/// `run` publishes a job (body, parts, generation), runs part 0 and then any part no worker has
/// claimed, and waits for the claimed ones. An idle worker polls for the next generation for
/// `spinNanoseconds` (`state.try()` between clock reads), then sleeps on `wake`; a caller waiting
/// for parts polls as long, then sleeps on `done`. Every field below is read and written only while
/// `state` is held, so the lock orders memory: a part's writes happen before `run` returns.
// Note: @unchecked Sendable because the compiler cannot see that `state` guards every field.
private final class WorkerPool: @unchecked Sendable {
  private static let spinNanoseconds: UInt64 = 500_000
  private let state = NSLock()
  private let wake = NSCondition()
  private let done = NSCondition()
  private var body: ((Int) -> Void)?
  private var generation = 0, parts = 0, claimed = 0, finished = 0
  private var workers = 0, running = 0, sleepers = 0
  private var callerSleeping = false, busy = false, stopping = false

  /// Runs `body(part)` for every part in `0..<parts`, part 0 on the calling thread; returns when
  /// all are done. A nested or concurrent call (or one after `stop`) runs its parts inline.
  func run(_ parts: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
      acquire()
      if busy || stopping {
        state.unlock()
        for part in 0..<parts { body(part) }
        return
      }
      let spawn = max(0, parts - 1 - workers)
      (busy, self.body, self.parts, claimed, finished) = (true, body, parts, 1, 1)
      generation &+= 1
      (workers, running) = (workers + spawn, running + spawn)
      let sleeping = sleepers > 0
      state.unlock()
      for _ in 0..<spawn { startWorker() }
      if sleeping { wake.lock(); wake.broadcast(); wake.unlock() }
      body(0)
      while runClaimedPart() { finishPart() }
      waitForParts()
      acquire()
      (self.body, busy) = (nil, false)
      state.unlock()
    }
  }

  /// Stops and joins the workers (the model's `deinit`); later `run` calls stay inline.
  func stop() {
    acquire()
    stopping = true
    state.unlock()
    wake.lock(); wake.broadcast(); wake.unlock()
    done.lock()
    while true {
      acquire()
      let left = running
      state.unlock()
      if left == 0 { break }
      done.wait()
    }
    done.unlock()
  }

  private func startWorker() {
    let thread = Thread { [self] in
      var seen = 0
      while let next = waitForJob(after: seen) {
        seen = next
        while runClaimedPart() { finishPart() }
      }
      acquire()
      running -= 1
      state.unlock()
      done.lock(); done.broadcast(); done.unlock()
    }
    thread.name = "cnnc worker"
    thread.start()
  }

  /// Claims the next unclaimed part of the current job and runs it; false when none is left.
  /// Never inlined, so its reference to `body` is released before `finishPart` is called.
  @inline(never) private func runClaimedPart() -> Bool {
    acquire()
    guard let body, claimed < parts else {
      state.unlock()
      return false
    }
    let part = claimed
    claimed += 1
    state.unlock()
    body(part)
    return true
  }

  private func finishPart() {
    acquire()
    finished += 1
    let wakeCaller = finished == parts && callerSleeping
    state.unlock()
    if wakeCaller { done.lock(); done.broadcast(); done.unlock() }
  }

  /// Polls `ready` (evaluated while `state` is held) for `spinNanoseconds`; whether it held.
  private func spin(until ready: () -> Bool) -> Bool {
    let deadline = DispatchTime.now().uptimeNanoseconds &+ Self.spinNanoseconds
    while DispatchTime.now().uptimeNanoseconds < deadline {
      guard state.try() else { continue }
      let holds = ready()
      state.unlock()
      if holds { return true }
      sched_yield()
    }
    return false
  }

  /// The generation of the next job, or nil once stopping.
  private func waitForJob(after seen: Int) -> Int? {
    if spin(until: { generation != seen || stopping }) {
      acquire()
      let (next, stop) = (generation, stopping)
      state.unlock()
      return stop ? nil : next
    }
    wake.lock()
    defer { wake.unlock() }
    while true {
      acquire()
      let (next, stop) = (generation, stopping)
      if next == seen && !stop { sleepers += 1 }
      state.unlock()
      if stop { return nil }
      if next != seen { return next }
      wake.wait()
      acquire()
      sleepers -= 1
      state.unlock()
    }
  }

  private func waitForParts() {
    if spin(until: { finished == parts }) { return }
    done.lock()
    defer { done.unlock() }
    acquire()
    callerSleeping = finished < parts
    while callerSleeping {
      state.unlock()
      done.wait()
      acquire()
      callerSleeping = finished < parts
    }
    state.unlock()
  }

  /// `state.lock()` that polls first: the sections are a few instructions long, and a contended
  /// `lock()` would put this thread to sleep in the kernel.
  private func acquire() {
    for _ in 0..<1_000 where state.try() { return }
    state.lock()
  }
}
"""#
}
