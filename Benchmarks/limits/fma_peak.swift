// FMA peak of this machine as Swift code reaches it: fused multiply-adds on independent
// accumulators (enough of them to cover FMA latency x FMA ports), no memory traffic. Two
// kernels, the best of which is the peak: 24 chains of SIMD16<Float> (AVX-512's 32 registers)
// and 12 chains of SIMD8<Float> (AVX2's 16: 24 SIMD16 chains there are 48 ymm registers, and
// the spills cut the figure in half, 35 against 7x GFLOP/s on the Zen 3 VM).
//
// Build: swiftc -O -target-cpu <host> -parse-as-library fma_peak.swift -o fma_peak
// Run:   ./fma_peak [threads] [seconds-per-trial]      prints one JSON object
// Without -target-cpu on x86-64, addingProduct becomes a call to scalar fmaf (the 100x cliff).
import Foundation

typealias V = SIMD16<Float>

/// `iterations` rounds of 24 independent FMA chains: 24 * 16 * 2 flops per round.
@inline(never)
func kernel(_ iterations: Int, _ seed: Float) -> Float {
  let a = V(repeating: 0.999_999 + seed * 1e-9)
  let b = V(repeating: 1e-7)
  var c0 = V(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
  var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
  var c12 = c0 + 12, c13 = c0 + 13, c14 = c0 + 14, c15 = c0 + 15, c16 = c0 + 16, c17 = c0 + 17
  var c18 = c0 + 18, c19 = c0 + 19, c20 = c0 + 20, c21 = c0 + 21, c22 = c0 + 22, c23 = c0 + 23
  for _ in 0..<iterations {
    c0 = c0.addingProduct(a, b); c1 = c1.addingProduct(a, b); c2 = c2.addingProduct(a, b)
    c3 = c3.addingProduct(a, b); c4 = c4.addingProduct(a, b); c5 = c5.addingProduct(a, b)
    c6 = c6.addingProduct(a, b); c7 = c7.addingProduct(a, b); c8 = c8.addingProduct(a, b)
    c9 = c9.addingProduct(a, b); c10 = c10.addingProduct(a, b); c11 = c11.addingProduct(a, b)
    c12 = c12.addingProduct(a, b); c13 = c13.addingProduct(a, b); c14 = c14.addingProduct(a, b)
    c15 = c15.addingProduct(a, b); c16 = c16.addingProduct(a, b); c17 = c17.addingProduct(a, b)
    c18 = c18.addingProduct(a, b); c19 = c19.addingProduct(a, b); c20 = c20.addingProduct(a, b)
    c21 = c21.addingProduct(a, b); c22 = c22.addingProduct(a, b); c23 = c23.addingProduct(a, b)
  }
  let s0 = (c0 + c1) + (c2 + c3) + (c4 + c5) + (c6 + c7)
  let s1 = (c8 + c9) + (c10 + c11) + (c12 + c13) + (c14 + c15)
  let s2 = (c16 + c17) + (c18 + c19) + (c20 + c21) + (c22 + c23)
  return (s0 + s1 + s2).sum()
}

/// `iterations` rounds of 12 independent SIMD8 FMA chains: 12 * 8 * 2 flops per round.
@inline(never)
func kernel8(_ iterations: Int, _ seed: Float) -> Float {
  let a = SIMD8<Float>(repeating: 0.999_999 + seed * 1e-9)
  let b = SIMD8<Float>(repeating: 1e-7)
  var c0 = SIMD8<Float>(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4
  var c5 = c0 + 5, c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
  for _ in 0..<iterations {
    c0 = c0.addingProduct(a, b); c1 = c1.addingProduct(a, b); c2 = c2.addingProduct(a, b)
    c3 = c3.addingProduct(a, b); c4 = c4.addingProduct(a, b); c5 = c5.addingProduct(a, b)
    c6 = c6.addingProduct(a, b); c7 = c7.addingProduct(a, b); c8 = c8.addingProduct(a, b)
    c9 = c9.addingProduct(a, b); c10 = c10.addingProduct(a, b); c11 = c11.addingProduct(a, b)
  }
  let s0 = (c0 + c1) + (c2 + c3) + (c4 + c5)
  let s1 = (c6 + c7) + (c8 + c9) + (c10 + c11)
  return (s0 + s1).sum()
}

/// The kernels measured: a name, the function and its flops per round.
let kernels: [(name: String, run: (Int, Float) -> Float, flopsPerIteration: Double)] = [
  ("simd16x24", kernel, 24.0 * 16.0 * 2.0),
  ("simd8x12", kernel8, 12.0 * 8.0 * 2.0),
]

final class Sink: @unchecked Sendable { var values = [Float](repeating: 0, count: 64) }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Wall time of `threads` threads each running `iterations` rounds (a fresh team per trial).
func trial(threads: Int, iterations: Int, sink: Sink, kernel: (Int, Float) -> Float) -> Double {
  let start = now()
  if threads == 1 {
    sink.values[0] += kernel(iterations, Float(iterations & 1))
  } else {
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      let r = kernel(iterations, Float(t))
      sink.values[t * 16] = r   // distinct cache lines
    }
  }
  return now() - start
}

@main
struct FMAPeak {
  static func main() {
    let args = CommandLine.arguments
    let threads = args.count > 1 ? max(1, Int(args[1]) ?? 1) : 1
    let seconds = args.count > 2 ? Double(args[2]) ?? 0.3 : 0.3
    let sink = Sink()
    var best = (gflops: 0.0, median: 0.0, iterations: 0, kernel: "")
    var each: [String] = []
    for candidate in kernels {
      // Calibrate: grow until one trial takes ~`seconds`.
      var iterations = 1 << 16
      while true {
        let t = trial(threads: threads, iterations: iterations, sink: sink, kernel: candidate.run)
        if t > seconds * 0.5 || iterations > 1 << 34 { iterations = Int(Double(iterations) * seconds / max(t, 1e-6)); break }
        iterations *= 4
      }
      var times: [Double] = []
      for _ in 0..<7 {
        times.append(trial(threads: threads, iterations: iterations, sink: sink, kernel: candidate.run))
      }
      times.sort()
      let flops = candidate.flopsPerIteration * Double(iterations) * Double(threads)
      let gflops = flops / times[0] / 1e9
      each.append("\"\(candidate.name)\": \(gflops)")
      if gflops > best.gflops {
        best = (gflops, flops / times[times.count / 2] / 1e9, iterations, candidate.name)
      }
    }
    let checksum = sink.values.reduce(0, +)
    print("{\"test\": \"fma_peak\", \"threads\": \(threads), \"gflops_best\": \(best.gflops), "
      + "\"gflops_median\": \(best.median), \"iterations\": \(best.iterations), "
      + "\"kernel\": \"\(best.kernel)\", \(each.joined(separator: ", ")), "
      + "\"checksum\": \(checksum.isFinite ? checksum : 0)}")
  }
}
