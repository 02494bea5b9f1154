// Benchmark driver for one cnnc-generated model (a template: Benchmarks/run.py copies it next to
// the generated Model.swift, replacing the @PLACEHOLDERS@, and compiles both with
//   swiftc -O -target-cpu <host> -parse-as-library Model.swift BenchMain.swift -o bench
//
// Usage: bench WEIGHTS|- INPUT.bin RUNS WARMUP THREADS OUTPUT.bin
//   WEIGHTS   safetensors file, or `-` for a spec whose weights are all written in it (init())
//   INPUT.bin raw little-endian float32, C,H,W, `inputCount` floats
//   OUTPUT.bin receives every output of the last timed call, concatenated in `output` order
// Prints one JSON object: {"median_ms", "min_ms", "mean_ms", "init_ms", "runs", "threads", ...}.
// Timed calls use the allocation-free `forward(input:outputs:)`; the first WARMUP calls are not
// timed. THREADS > 1 is only honoured when the generated class exposes a thread setting
// (run.py substitutes the line below); otherwise the driver reports "threads_supported": false.
import Foundation

typealias Model = @MODEL_TYPE@

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-6 }   // milliseconds

func fail(_ message: String) -> Never {
  FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
  exit(2)
}

func readFloats(_ path: String) -> [Float] {
  guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
  return data.withUnsafeBytes { raw in
    (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
  }
}

/// `VmRSS` (now) or `VmHWM` (peak) of this process from /proc/self/status, in kB; -1 elsewhere.
/// The peak minus the resident size before the model was built is what the model costs.
func residentKilobytes(_ field: String) -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
  for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
  }
  return -1
}

/// Resets the process's peak (`VmHWM`) to its current resident size (Linux ≥ 4.0: "5" written to
/// /proc/self/clear_refs), so the peak read after the runs is the model's and not one reached
/// before it was built (reading the input, the runtime's start-up: up to 0.6 MB).
func resetPeakResident() {
  guard let file = fopen("/proc/self/clear_refs", "w") else { return }
  fputs("5", file)
  fclose(file)
}

func setThreads(_ model: Model, _ threads: Int) -> Bool {
  _ = model
  _ = threads
  @SET_THREADS@
}

@main
struct Bench {
  static func main() {
    let args = CommandLine.arguments
    guard args.count == 7, let runs = Int(args[3]), let warmup = Int(args[4]), let threads = Int(args[5]) else {
      fail("usage: bench WEIGHTS|- INPUT.bin RUNS WARMUP THREADS OUTPUT.bin")
    }
    let input = readFloats(args[2])
    guard input.count == Model.inputCount else {
      fail("input has \(input.count) floats; \(Model.self) expects \(Model.inputCount)")
    }

    // The measuring itself (the clock, reading /proc as a String: ~0.6 MB on first use) is
    // warmed up before the baseline, so that it is not counted as the model's.
    _ = now()
    _ = residentKilobytes("VmHWM")
    resetPeakResident()
    let baselineRSS = residentKilobytes("VmRSS")
    let initStart = now()
    let model: Model
    @MAKE_MODEL@
    let initMs = now() - initStart
    let threadsSupported = setThreads(model, threads)

    let outputs = Model.outputCounts.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
    defer { outputs.forEach { $0.deallocate() } }
    var times = [Double]()
    times.reserveCapacity(runs)
    input.withUnsafeBufferPointer { x in
      let p = x.baseAddress!
      for _ in 0..<warmup { model.forward(input: p, outputs: outputs) }
      for _ in 0..<runs {
        let start = now()
        model.forward(input: p, outputs: outputs)
        times.append(now() - start)
      }
    }
    // The model's peak: sampled here, before the outputs are written and the JSON formatted
    // (Foundation's file and number formatting add ~0.5 MB that no model holds).
    let peakRSS = residentKilobytes("VmHWM")
    var bytes = Data()
    for (pointer, count) in zip(outputs, Model.outputCounts) {
      bytes.append(UnsafeBufferPointer(start: pointer, count: count))
    }
    guard FileManager.default.createFile(atPath: args[6], contents: bytes) else { fail("cannot write \(args[6])") }

    let sorted = times.sorted()
    let median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2]
      : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
    let mean = times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count)
    let list = times.map { String(format: "%.4f", $0) }.joined(separator: ", ")
    print("{\"median_ms\": \(median), \"min_ms\": \(sorted.first ?? 0), \"mean_ms\": \(mean), "
      + "\"init_ms\": \(initMs), \"runs\": \(runs), \"warmup\": \(warmup), \"threads\": \(threads), "
      + "\"threads_supported\": \(threadsSupported), \"baseline_rss_kb\": \(baselineRSS), "
      + "\"peak_rss_kb\": \(peakRSS), \"times_ms\": [\(list)]}")
  }
}
