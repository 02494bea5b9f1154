// Core-to-core round trip: two threads pass a counter back and forth through one cache line,
// and the time per round trip is what it costs one core to see a line the other just wrote.
//
// Why the harness measures it: on a VM the host may place the two vCPUs on cores that share an
// L3 (round trip ~55 ns on the AMD EPYC of Benchmarks/README.md) or on two different CCDs
// (~330 ns), and may move them between runs. Every split layer hands half of its output to the
// other thread's next layer, so 2-thread latencies move with the placement (GoogLeNet: 14.4 vs
// 21.8 ms), for every system alike but not by the same amount. run.py records this figure
// before each timed process so each round can be read with the placement it ran under.
//
// Build: swiftc -O -parse-as-library core_latency.swift -o core_latency
// Run:   ./core_latency [round trips]        prints one JSON object
import Foundation
import Synchronization

/// The shared line (a class so both threads see one instance; the atomic is the only field).
final class PingPong: Sendable {
  let counter = Atomic<Int>(0)
}

@main
struct CoreLatency {
  static func main() {
    let trips = CommandLine.arguments.count > 1 ? max(1_000, Int(CommandLine.arguments[1]) ?? 200_000) : 200_000
    let line = PingPong()
    // The other thread answers every odd value with the next even one until the process exits.
    let other = Thread {
      var expected = 1
      while true {
        while line.counter.load(ordering: .acquiring) != expected {}
        line.counter.store(expected + 1, ordering: .releasing)
        expected += 2
      }
    }
    other.start()
    // A short warm-up (the other thread starting, both cores awake), then the timed trips.
    var value = 0
    func trip() {
      line.counter.store(value + 1, ordering: .releasing)
      while line.counter.load(ordering: .acquiring) != value + 2 {}
      value += 2
    }
    // At most about a second in all: with both threads on one CPU (a 1-vCPU machine, or a busy
    // one) each trip waits for a time slice, and the probe must not hold the run up.
    func run(_ count: Int, for nanoseconds: UInt64) -> Int {
      let deadline = DispatchTime.now().uptimeNanoseconds + nanoseconds
      var done = 0
      while done < count {
        for _ in 0..<16 { trip() }
        done += 16
        if DispatchTime.now().uptimeNanoseconds > deadline { break }
      }
      return done
    }
    _ = run(min(1_000, trips / 10), for: 200_000_000)
    let start = DispatchTime.now().uptimeNanoseconds
    let timed = run(trips, for: 800_000_000)
    let nanoseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(timed)
    print("{\"test\": \"core_round_trip\", \"round_trip_ns\": \(nanoseconds), \"trips\": \(timed)}")
  }
}
