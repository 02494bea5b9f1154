/// The multiply-add every kernel of an FMA target calls, and the build flag that makes it fused.
///
/// Swift has no condition for target features, and `addingProduct` compiled without
/// `-target-cpu` becomes a call to scalar `fmaf` per lane: 100x slower (codegen-notes pitfall
/// 1). So the helper fuses only under `#if CNNC_FMA` (the header's build flags pass
/// `-D CNNC_FMA` with `-target-cpu`) or on arm64, where FMA is baseline; a file dropped into a
/// project without flags multiplies then adds, at SSE speed rather than off the cliff.
enum FusedMultiplyAdd {
  /// The compilation condition the header's build flags define.
  static let condition = "CNNC_FMA"

  /// `name` overloaded for vector·vector and vector·scalar operands (for `vector` and the
  /// narrower SIMD8/SIMD4 some row kernels use) and for scalars.
  static func source(_ name: String, vector: String) -> String {
    let narrower = ["SIMD8<Float>", "SIMD4<Float>"].filter { $0 != vector && (vector == "SIMD16<Float>" || $0 == "SIMD4<Float>") }
    let vectors = [vector] + narrower
    let overloads = vectors.flatMap { [($0, $0), ($0, "Float")] } + [("Float", "Float")]
    var out = SwiftEmitter()
    out.line("/// `acc + a * b`: fused with `-D \(condition)` (and `-target-cpu`) or on arm64, else a multiply")
    out.line("/// and an add, so a build without flags is slower but never calls scalar `fmaf` per lane.")
    for (index, (accumulator, factor)) in overloads.enumerated() {
      if index > 0 { out.line() }
      out.block("@inline(__always) private static func \(name)(_ acc: \(accumulator), _ a: \(accumulator), _ b: \(factor)) -> \(accumulator)") { out in
        out.line("#if \(condition) || arch(arm64)")
        out.line("  return acc.addingProduct(a, b)")
        out.line("#else")
        out.line("  return acc + a * b")
        out.line("#endif")
      }
    }
    var text = out.text
    while text.hasSuffix("\n") { text.removeLast() }
    return text
  }
}
