import CNNCore
import Foundation
import XCTest

/// The generated worker pool (`Threading.source`): results do not depend on `threads`, models
/// can be created and dropped without leaking threads, and nothing hangs. Each driver runs as a
/// child process under a watchdog, so a deadlock fails the test instead of stalling `swift test`.
final class ThreadPoolTests: XCTestCase {
  /// The convolutions are above `Threading.minimumWork`, so each one runs through the pool; the
  /// pool and fc stay on the calling thread in between.
  static let spec = """
    network PoolCheck
    input 48x48x8
    a: conv 32 3x3 p1 | relu
    b: conv 64 1x1 | relu6
    dw: dwconv 3x3 p1 | relu
    c: conv 32 3x3 s2 p1
    p: maxpool 2x2
    fc1: fc 64

    """

  /// 150 consecutive forwards cycling `threads` through 1, 2, 3 (also from other threads, one at
  /// a time) give bit-identical outputs.
  func testThreadCountsGiveIdenticalOutputsOverManyForwards() throws {
    let output = try runDriver("""
      let reference = try PoolCheck(weights: weights, threads: 1).forward(input)
      let model = try PoolCheck(weights: weights, threads: 2)
      var mismatches = 0
      for round in 0..<150 {
        model.threads = [2, 3, 1][round % 3]
        if model.forward(input) != reference { mismatches += 1 }
      }
      nonisolated(unsafe) let shared = model
      nonisolated(unsafe) var fromThreads = 0
      for round in 0..<6 {
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
          shared.threads = 2 + round % 2
          if shared.forward(input) != reference { fromThreads += 1 }
          finished.signal()
        }
        thread.start()
        finished.wait()
      }
      print("mismatches \\(mismatches + fromThreads)")
      """)
    XCTAssertTrue(output.contains("mismatches 0"), output)
  }

  /// 300 models with 2 or 3 threads, each run and dropped (some while their workers spin, some
  /// after they slept), leave the process with the threads it had before.
  func testDroppedModelsLeaveNoThreads() throws {
    let output = try runDriver("""
      func taskCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
      }
      _ = try PoolCheck(weights: weights, threads: 1).forward(input)
      let before = taskCount()
      var peak = before
      for round in 0..<300 {
        let model = try PoolCheck(weights: weights, threads: 2 + round % 2)
        if round % 5 != 4 { _ = model.forward(input) }
        if round % 50 == 0 { Thread.sleep(forTimeInterval: 0.005) }
        peak = max(peak, taskCount())
      }
      var after = taskCount()
      for _ in 0..<100 where after > before {
        Thread.sleep(forTimeInterval: 0.02)
        after = taskCount()
      }
      print("tasks before \\(before) peak \\(peak) after \\(after)")
      print(after <= before && peak <= before + 3 ? "no leak" : "leak")
      """)
    XCTAssertTrue(output.contains("no leak"), output)
  }

  /// Compiles the spec with `body` as the driver's main (given `weights`, a URL, and `input`, the
  /// floats) and runs it with a watchdog; returns what it printed.
  private func runDriver(_ body: String, timeout: TimeInterval = 120) throws -> String {
    let indented = body.split(separator: "\n", omittingEmptySubsequences: false)
      .map { "    " + $0 }.joined(separator: "\n")
    let driver = """
      import Foundation

      @main
      struct Driver {
        static func main() throws {
          let weights = URL(fileURLWithPath: "w.safetensors")
          let data = try Data(contentsOf: URL(fileURLWithPath: "in.bin"))
          let input = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      \(indented)
        }
      }

      """
    let inspect = { (source: String) in
      XCTAssertGreaterThanOrEqual(source.components(separatedBy: "threads: threads, pool: pool)").count - 1,
                                  4, "the convolutions are split")
    }
    var output = ""
    try GeneratedModelRunner.withDrivenModel(Self.spec, driver: driver, flags: ["-warnings-as-errors"],
                                             inspect: inspect) { model in
      guard model.build.status == 0 else { return XCTFail(String(model.build.output.prefix(4000))) }
      let input = SafetensorsWriter.values(model.network.network.input.elementCount!, seed: 3, scale: 2)
      try GeneratedModelRunner.writeFloats(input, to: model.directory.appendingPathComponent("in.bin").path)
      output = try runWithWatchdog(URL(fileURLWithPath: model.binary), in: model.directory, timeout: timeout)
    }
    return output
  }

  /// Runs `binary`; fails (and kills it) if it is still running after `timeout` seconds.
  private func runWithWatchdog(_ binary: URL, in directory: URL, timeout: TimeInterval) throws -> String {
    let log = directory.appendingPathComponent("out.txt")
    XCTAssertTrue(FileManager.default.createFile(atPath: log.path, contents: nil), log.path)
    let handle = try FileHandle(forWritingTo: log)
    defer { try? handle.close() }
    let process = Process()
    process.executableURL = binary
    process.currentDirectoryURL = directory
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      XCTFail("the driver did not finish within \(Int(timeout)) s (hang)")
    }
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    XCTAssertEqual(process.terminationStatus, 0, output)
    return output
  }
}
