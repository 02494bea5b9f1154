@testable import CNNCore
import Foundation
import XCTest

/// `forward(input:outputs:)` allocates no memory of its own (docs/codegen.md, the contract in
/// cli.md): every kernel's working memory comes from buffers made in `init` (the arena, `scratch`,
/// and the per-thread work buffers that replaced `withUnsafeTemporaryAllocation`, which on Linux
/// mallocs anything over 1 KB on every call).
///
/// Checked with glibc's malloc tracer: after a warm-up call (which starts the worker thread) the
/// driver turns `mtrace()` on, allocates one control block, runs `forward` twice and turns
/// tracing off. On one thread the trace must list exactly the control block. On two, each split
/// step's hand-off to the worker makes one 32-byte closure context (Swift's
/// `withoutActuallyEscaping`, the pool's only way to pass a non-escaping closure to another
/// thread): at most one per split step and call, and nothing else.
final class AllocationFreeForwardTests: XCTestCase {
  /// One layer per kernel that used a temporary buffer: the im2col stem, Winograd with windows
  /// (`wrows`) and with padded rows (`wpad`; `fc`'s weights make the memory budget cover both),
  /// pooling (rows and flattened planes), depthwise rows, polyphase strips (`sigmoid`) and flat
  /// planes, a staged 1x1 and a staged direct tile.
  static let spec = """
    network NoAllocation
    input 32x200x3
    stem: conv 32 3x3 p1 | relu
    wrows: conv 64 3x3 p1 | relu
    wpad: conv 64 3x3 p1
    pool1: maxpool 2 s2
    dw: dwconv 3x3 p1 | relu
    pw: conv 40 1x1 | sigmoid
    pool2: maxpool 3 s2 p1
    dwstrip: dwconv 5x5 s2 p2 | sigmoid
    tile: conv 48 3x3 p1 | leakyrelu 0.1
    pool3: avgpool 3 s1 p1
    pool4: maxpool 2 s2 floor
    dwflat: dwconv 3x3 p1 | relu
    gap
    fc 40000

    """

  /// The `Self.parallel…` hand-offs one call of `forward` makes: each written hand-off, times
  /// the trip counts of the `for chunk in 0..<N` loops around it (told by indentation).
  static func handOffsPerCall(_ source: String) -> Int {
    var loops: [(indent: Int, trips: Int)] = []
    var count = 0
    for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
      let indent = line.prefix { $0 == " " }.count
      let text = line.dropFirst(indent)
      while let last = loops.last, indent <= last.indent, text.hasPrefix("}") || indent < last.indent {
        loops.removeLast()
      }
      if text.hasPrefix("for chunk in 0..<"), let trips = Int(text.dropFirst(17).prefix { $0.isNumber }) {
        loops.append((indent, trips))
      }
      if text.contains("Self.parallel") {
        count += loops.reduce(1) { $0 * $1.trips }
      }
    }
    return count
  }

  func testHandOffsCountChunkLoops() {
    let source = """
        Self.parallelParts(4, threads: threads, pool: pool) {
        }
        for chunk in 0..<3 {
          let first = chunk
          Self.parallelParts(2, threads: threads, pool: pool) {
          }
        }
        Self.parallelFor(8, threads: threads, pool: pool) {
        }
      """
    XCTAssertEqual(Self.handOffsPerCall(source), 5)
  }

  func testForwardAllocatesNothing() throws {
    let library = ["/lib/x86_64-linux-gnu/libc_malloc_debug.so.0", "/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0",
                   "/lib/aarch64-linux-gnu/libc_malloc_debug.so.0", "/usr/lib64/libc_malloc_debug.so.0"]
      .first { FileManager.default.fileExists(atPath: $0) }
    guard let library else { throw XCTSkip("glibc's libc_malloc_debug.so.0 (mtrace) not found") }
    let driver = """
      import Foundation

      @_silgen_name("mtrace") func mtrace()
      @_silgen_name("muntrace") func muntrace()

      @main
      struct Driver {
        static func main() throws {
          let model = try NoAllocation(weightsPath: "w.safetensors", threads: 2)
          let input = UnsafeMutablePointer<Float>.allocate(capacity: NoAllocation.inputCount)
          for i in 0..<NoAllocation.inputCount { input[i] = Float(i % 17) / 8 - 1 }
          let outputs = NoAllocation.outputCounts.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
          model.forward(input: input, outputs: outputs)
          model.threads = Int(CommandLine.arguments[1])!
          mtrace()
          let control = UnsafeMutablePointer<Float>.allocate(capacity: 5000)
          control.deallocate()
          model.forward(input: input, outputs: outputs)
          model.forward(input: input, outputs: outputs)
          muntrace()
          print(outputs[0][0].isFinite ? "ran" : "not finite")
        }
      }

      """
    let inspect = { (source: String) in
      for kernel in ["im2col panels", "each thread: its blocks of tile rows", "each thread pads the rows",
                     "Direct convolution tile", "let paddedRow = firstTileRow &* 2 &+ r"] {
        XCTAssertTrue(source.contains(kernel), "the spec reaches \(kernel)")
      }
      XCTAssertFalse(source.contains("withUnsafeTemporaryAllocation"))
    }
    try GeneratedModelRunner.withDrivenModel(Self.spec, driver: driver, fma: true, inspect: inspect) { model in
      XCTAssertEqual(model.build.status, 0, String(model.build.output.prefix(4000)))
      guard model.build.status == 0 else { return }
      // Split steps: each opens one hand-off per call at two threads, per chunk where the
      // hand-off sits in a chunk loop (a 1x1 layer's packed panels).
      let splitSteps = Self.handOffsPerCall(model.source)
      for threads in [1, 2] {
        let trace = model.directory.appendingPathComponent("trace\(threads).txt").path
        let run = try GeneratedModelRunner.execute(model.binary, ["\(threads)"], in: model.directory,
                                                   environment: ["LD_PRELOAD": library, "MALLOC_TRACE": trace])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(run.output.trimmingCharacters(in: .whitespacesAndNewlines), "ran")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let allocations = lines.filter { $0.contains(" + 0x") }
        XCTAssertTrue(allocations.first?.hasSuffix(" 0x4e20") ?? false, "the control block is traced first")
        let others = allocations.dropFirst()
        let listing = "\n" + others.joined(separator: "\n")
        if threads == 1 {
          XCTAssertEqual(others.count, 0, "one thread allocates nothing:" + listing)
        } else {
          XCTAssertTrue(others.allSatisfy { $0.hasSuffix(" 0x20") }, "only 32-byte hand-off contexts:" + listing)
          XCTAssertLessThanOrEqual(others.count, 2 * splitSteps, "at most one per split step and call:" + listing)
        }
      }
    }
  }
}
