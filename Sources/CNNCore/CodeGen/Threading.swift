/// Threading in generated code (docs/codegen.md, "Threading").
///
/// The generated class has `public var threads: Int` (default
/// `ProcessInfo.processInfo.activeProcessorCount`, also an `init(weights:threads:)` argument) and
/// the private helper `parallelFor(_:threads:_:)` emitted by `source`. Kernel emitters decide at
/// generation time whether a step is worth splitting (`worthSplitting`) and, if so, open their
/// outer loop with `emitLoop(…, parallel: true)`: the iterations are cut into `threads`
/// contiguous ranges run by `DispatchQueue.concurrentPerform`. Iterations must write disjoint
/// outputs; the body may read `weights`, `scratch`, the inputs and `y`.
enum Threading {
  /// Multiply-adds (or comparable element operations) below which a step stays on the calling
  /// thread: `concurrentPerform` costs ~5–20 µs, and 4 M MACs are ~40 µs at the FMA peak.
  static let minimumWork = 4_000_000

  /// Whether a step doing `work` multiply-adds (or element operations) over `iterations`
  /// independent outer iterations should run its outer loop on several threads.
  static func worthSplitting(work: Int, iterations: Int) -> Bool {
    work >= minimumWork && iterations >= 2
  }

  /// `for variable in 0..<count { body }`, or when `parallel`
  /// `Self.parallelFor(count, threads: threads) { variable in body }`.
  static func emitLoop(_ variable: String, _ count: Int, parallel: Bool,
                       _ out: inout SwiftEmitter, _ body: (inout SwiftEmitter) -> Void) {
    if parallel {
      out.block("Self.parallelFor(\(count), threads: threads)") { out in
        out.line("\(variable) in")
        body(&out)
      }
    } else {
      out.block(forLoop(variable, count), body)
    }
  }

  /// `do { let (first, end) = (0, count); body }`, or when `parallel`
  /// `Self.parallelRanges(count, threads: threads) { first, end in body }`: one contiguous range
  /// of `0..<count` per thread, for kernels that order their own loops inside a range.
  static func emitRanges(_ count: Int, parallel: Bool, _ out: inout SwiftEmitter,
                         _ body: (inout SwiftEmitter) -> Void) {
    if parallel {
      out.block("Self.parallelRanges(\(count), threads: threads)") { out in
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

  /// The helper every generated class carries (private static, so unused is fine).
  static let source = #"""
/// Runs `body(0..<count)` cut into `threads` contiguous ranges, on the calling thread when
/// `threads <= 1` (or `count <= 1`); iterations must write disjoint memory.
private static func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
  parallelRanges(count, threads: threads) { first, end in
    for index in first..<end { body(index) }
  }
}

/// Runs `body(first, end)` for `threads` contiguous ranges covering `0..<count`, on the calling
/// thread when `threads <= 1` (or `count <= 1`); ranges must write disjoint memory.
private static func parallelRanges(_ count: Int, threads: Int, _ body: (Int, Int) -> Void) {
  let parts = min(threads, count)
  if parts <= 1 {
    body(0, count)
    return
  }
  withoutActuallyEscaping(body) { body in
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      body(part &* count / parts, (part &+ 1) &* count / parts)
    }
  }
}
"""#
}
