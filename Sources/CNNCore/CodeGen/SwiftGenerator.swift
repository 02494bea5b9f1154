/// Turns a checked network into one self-contained Swift file (the surface in cli.md).
///
/// Layout of the file: header comment (tool, command line, spec hash, build flags, "do not
/// edit"), `import Foundation`, then one `public final class` holding the shape constants, the
/// weight and activation allocations, the initializers, the `forward` entry points, one private
/// method per step named after its layer, and the nested safetensors reader.
public enum SwiftGenerator {
  public static let toolVersion = "cnnc 0.1.0"

  /// SIMD lanes for a `-target-cpu`: 16 on AVX-512 parts, 8 on AVX2 parts and by default.
  public static func lanes(forTargetCPU cpu: String?) -> Int {
    guard let cpu = cpu?.lowercased() else { return 8 }
    let wide = ["znver4", "znver5", "skylake-avx512", "cascadelake", "cooperlake", "icelake",
                "tigerlake", "sapphirerapids", "graniterapids", "emeraldrapids", "rocketlake",
                "x86-64-v4", "knl", "knm", "cannonlake"]
    if wide.contains(where: { cpu.hasPrefix($0) }) { return 16 }
    if cpu.hasPrefix("apple") || cpu.hasPrefix("cortex") || cpu == "generic" { return 4 }
    return 8
  }

  /// Whether `-target-cpu cpu` has fused multiply-add; without it the generated kernels write
  /// `a + b * c` (SSE/NEON mul+add) instead of `addingProduct`, which would otherwise become a
  /// call to scalar `fmaf` (codegen-notes pitfall 1). With it they call a helper that fuses only
  /// when the file is built with `-D CNNC_FMA` (`FusedMultiplyAdd`).
  public static func hasFMA(targetCPU cpu: String) -> Bool {
    let cpu = cpu.lowercased()
    let without = ["generic", "x86-64", "x86-64-v2", "core2", "penryn", "nehalem", "westmere",
                   "sandybridge", "ivybridge", "btver1", "btver2", "bonnell", "silvermont",
                   "goldmont", "k8", "amdfam10", "pentium", "i686"]
    return !without.contains(where: { cpu == $0 || cpu.hasPrefix($0 + "-") })
  }

  /// Whether `fc` kernels on `-target-cpu cpu` load a float 64 KB ahead in their weight stream
  /// (`FullyConnected`): on the Intel Xeon it kept more misses in flight (AlexNet fc6 at 1
  /// thread ~12.9 -> ~11.4 ms); on AMD Zen 4 (`znver4`) the same loads cost a third of the
  /// bandwidth (9216 -> 4096: 17.5 GB/s with them, 25-26 without, the machine's measured
  /// 26.8), so AMD targets stream without them.
  public static func touchesAhead(targetCPU cpu: String) -> Bool {
    !cpu.lowercased().hasPrefix("znver")
  }

  /// The `-target-cpu` for the machine cnnc runs on: an AVX-512 part (`znver4` on AMD,
  /// `skylake-avx512` on Intel), `haswell` with AVX2 and FMA, `apple-m1` on Apple silicon,
  /// `generic` otherwise (portable SIMD4 code without FMA).
  public static func hostCPU() -> String {
    #if os(macOS) && arch(arm64)
      return "apple-m1"
    #else
      guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
      else { return "generic" }
      let flags = Set(flagsLine.split(separator: " ").map(String.init))
      let amd = info.contains("AuthenticAMD")
      if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") {
        return amd ? "znver4" : "skylake-avx512"
      }
      if flags.contains("avx2") && flags.contains("fma") { return amd ? "znver2" : "haswell" }
      return "generic"
    #endif
  }

  /// FNV-1a 64 of the spec bytes, 16 hex digits: the header's spec hash and a cache key.
  public static func specHash(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  public static func generate(_ checked: CheckedNetwork, source: SourceFile, commandLine: String,
                              targetCPU: String?) -> String {
    let lowered = LoweredNetwork(checked)
    let targetCPU = targetCPU ?? hostCPU()
    let lanes = lanes(forTargetCPU: targetCPU)
    let layout = WeightLayout(lowered, lanes: lanes)
    let members = ClassEmitter(lowered: lowered, layout: layout, lanes: lanes, source: source,
                               fma: hasFMA(targetCPU: targetCPU),
                               touchesAhead: touchesAhead(targetCPU: targetCPU))
    var out = SwiftEmitter()
    let name = typeName(checked.network.name)
    emitHeader(checked, source: source, commandLine: commandLine, targetCPU: targetCPU,
               lanes: lanes, plan: members.plan, &out)
    out.line("import Foundation")
    out.line()
    out.line("/// The `\(checked.network.name)` forward pass; not thread-safe (one instance per thread).")
    out.block("public final class \(name)") { out in
      members.emit(&out)
    }
    return out.text
  }

  /// The `network` name as a Swift type name.
  public static func typeName(_ name: String) -> String {
    var emitter = SwiftEmitter()
    let identifier = emitter.uniqueName(name)
    return identifier.first?.isLetter == true ? identifier : "Network" + identifier
  }

  private static func emitHeader(_ checked: CheckedNetwork, source: SourceFile, commandLine: String,
                                 targetCPU: String, lanes: Int, plan: BufferPlan,
                                 _ out: inout SwiftEmitter) {
    let cpu = targetCPU
    out.line("// Generated by \(toolVersion) from \(fileName(source.name)); do not edit.")
    out.line("// Command: \(commandLine)")
    out.line("// Spec hash (FNV-1a 64): \(specHash(source.bytes))")
    out.line("//")
    if hasFMA(targetCPU: cpu) {
      let define = FusedMultiplyAdd.condition
      out.line("// Build flags: swiftc -O -target-cpu \(cpu) -D \(define) -parse-as-library (SwiftPM:")
      out.line("// swiftSettings: [.unsafeFlags([\"-target-cpu\", \"\(cpu)\"]), .define(\"\(define)\")]).")
      out.line("// Without them the file still builds and runs, multiplying then adding (several times")
      out.line("// slower); never pass -D \(define) without -target-cpu: x86-64's baseline has no FMA and each")
      out.line("// fused multiply-add would become a call to scalar fmaf (~100x slower).")
    } else {
      out.line("// Build flags: swiftc -O -parse-as-library (portable: no FMA is used, so no -target-cpu")
      out.line("// is needed; `-target-cpu \(cpu)` may be added).")
    }
    out.line("// Vectors: SIMD\(lanes)<Float>, \(hasFMA(targetCPU: cpu) ? "fused multiply-add" : "multiply then add") (--target-cpu \(cpu)).")
    out.line("//")
    out.line("// Layout: activations are C,H,W like PyTorch; forward(_:) takes and returns them flattened.")
    out.line("// Weights: safetensors with PyTorch state_dict names; F32, or F16/BF16 widened on load.")
    if plan.stepsWithWork == 0 {
      out.line("// Activation arena: \(plan.arenaCount * 4) bytes; peak live activations \(plan.peakBytes) bytes.")
    } else {
      out.line("// Arena: \(plan.arenaCount * 4) bytes: activations \(plan.activationCount * 4) (peak live \(plan.peakBytes)) and the")
      out.line("// work memory of \(plan.stepsWithWork) steps in the gaps they leave.")
    }
    out.line()
  }

  static func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}
