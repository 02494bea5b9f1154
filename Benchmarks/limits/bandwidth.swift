// DRAM read bandwidth as Swift code reaches it: sum a large Float array with SIMD16 loads and
// 8 independent accumulators, 1 or 2 threads each reading its own contiguous half.
//
// Build: swiftc -O -target-cpu <host> -parse-as-library bandwidth.swift -o bandwidth
// Run:   ./bandwidth [threads] [megabytes]        prints one JSON object (GB = 1e9 bytes)
import Foundation

typealias V = SIMD16<Float>

@inline(never)
func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
  let vectors = count / 16
  var a0 = V(), a1 = V(), a2 = V(), a3 = V(), a4 = V(), a5 = V(), a6 = V(), a7 = V()
  let raw = UnsafeRawPointer(p)
  var i = 0
  while i &+ 8 <= vectors {
    let base = raw + (i &* 64)
    a0 += base.loadUnaligned(fromByteOffset: 0, as: V.self)
    a1 += base.loadUnaligned(fromByteOffset: 64, as: V.self)
    a2 += base.loadUnaligned(fromByteOffset: 128, as: V.self)
    a3 += base.loadUnaligned(fromByteOffset: 192, as: V.self)
    a4 += base.loadUnaligned(fromByteOffset: 256, as: V.self)
    a5 += base.loadUnaligned(fromByteOffset: 320, as: V.self)
    a6 += base.loadUnaligned(fromByteOffset: 384, as: V.self)
    a7 += base.loadUnaligned(fromByteOffset: 448, as: V.self)
    i &+= 8
  }
  var total = ((a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7)).sum()
  var j = i &* 16
  while j < count { total += p[j]; j &+= 1 }
  return total
}

final class Shared: @unchecked Sendable {
  let data: UnsafeMutablePointer<Float>
  let count: Int
  var results = [Float](repeating: 0, count: 64)
  init(count: Int) {
    self.count = count
    data = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
      .bindMemory(to: Float.self, capacity: count)
  }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

@main
struct Bandwidth {
  static func main() {
    let args = CommandLine.arguments
    let threads = args.count > 1 ? max(1, Int(args[1]) ?? 1) : 1
    let megabytes = args.count > 2 ? Int(args[2]) ?? 1024 : 1024
    let shared = Shared(count: megabytes * 1_000_000 / 4 / 1024 * 1024)
    let count = shared.count
    // Touch every page (first-touch by the thread that will read it), non-trivial values.
    let chunk = count / threads
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      let start = t * chunk, end = t == threads - 1 ? count : start + chunk
      for k in start..<end { shared.data[k] = Float(k & 1023) * 1e-3 }
    }
    var times: [Double] = []
    for _ in 0..<9 {
      let start = now()
      if threads == 1 {
        shared.results[0] += sum(shared.data, count)
      } else {
        DispatchQueue.concurrentPerform(iterations: threads) { t in
          let begin = t * chunk, end = t == threads - 1 ? count : begin + chunk
          shared.results[t * 16] += sum(shared.data + begin, end - begin)
        }
      }
      times.append(now() - start)
    }
    times.sort()
    let bytes = Double(count * 4)
    let checksum = shared.results.reduce(0, +)
    print("{\"test\": \"dram_read_bandwidth\", \"threads\": \(threads), \"megabytes\": \(bytes / 1e6), "
      + "\"gbps_best\": \(bytes / times[0] / 1e9), \"gbps_median\": \(bytes / times[times.count / 2] / 1e9), "
      + "\"checksum\": \(checksum.isFinite ? checksum : 0)}")
  }
}
