/// The direct kernel's tile store (`Convolution+Direct.swift`): its register tile holds output
/// channels in the vector lanes, and the C,H,W output wants pixels, so each tile is transposed
/// in registers on its way out.
extension Convolution {
  /// The shared function that stores one tile's `stage` (`[column][channel]`, `width` columns
  /// of `channelTile` channels) into the output rows of its `valid` channels with `clamp`
  /// applied. Followers that are not a clamp run
  /// afterwards over the stored rows, where each channel's columns are contiguous
  /// (`emitDirect`).
  ///
  /// The tile's accumulators hold channels in their lanes, the output wants pixels: the
  /// function transposes `lanes` x `lanes` squares in registers (`lanes`-bit rotations of
  /// (column, channel): `log2(lanes)` rounds of even/odd half shuffles, `vpermt2ps` on
  /// AVX-512), clamps whole vectors and stores each channel's columns as a few vector pieces.
  /// The scalar copy it replaces (a strided load, a compare and a store per value) took 22 %
  /// of SqueezeNet 1.1's 55² expand3x3 layer (0.64 ms; 0.49 without any store, onnxruntime
  /// 0.486); transposed, 0.545 ms (1 thread, AMD EPYC VM). With a follower that is not a
  /// clamp the copy read the stage with a stride and ran it value by value: LeNet-5's conv2 +
  /// tanh 13 → 6 µs stored first and mapped over the contiguous rows (the network 32 → 26 µs;
  /// onnxruntime 31).
  ///
  /// With `residual`, one more argument `residual` (laid out like `out`) is added to each
  /// channel's columns before the clamp: a fused ResNet `add` (+ relu) on the direct kernel
  /// (`pointwiseRunsDirect`).
  static func transposedStore(_ context: KernelContext, width: Int, clamp: GEMM.Clamp,
                              residual: Bool = false) -> String {
    let lanes = context.lanes
    precondition(lanes >= 4 && lanes & (lanes - 1) == 0, "SwiftGenerator.lanes gives 4, 8 or 16")
    let tile = channelTile(context)
    let vectors = tile / lanes
    let vector = context.vectorType
    let rounds = lanes.trailingZeroBitCount
    let unshuffle = context.helpers?.function("unshuffle lanes\(lanes)") { name in
      """
      /// `(evens of a ++ evens of b, odds of a ++ odds of b)`: one step of a register transpose.
      @inline(__always) private static func \(name)(_ a: \(vector), _ b: \(vector)) -> (\(vector), \(vector)) {
        (\(vector)(lowHalf: a.evenHalf, highHalf: b.evenHalf), \(vector)(lowHalf: a.oddHalf, highHalf: b.oddHalf))
      }
      """
    } ?? "missingHelpers"
    let key = "direct store tile\(tile)x\(width) \(clamp) lanes\(lanes)\(residual ? " residual" : "")"
    let body = { (name: String) -> String in
      var out = SwiftEmitter()
      out.line("/// Transposed store: \(key). `stage`: `[\(width)][\(tile)]`; channel `c < valid` goes to")
      out.line("/// `out + c * plane`, \(width) floats.")
      out.block("@inline(never) private static func \(name)(_ stage: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ plane: Int, _ valid: Int\(residual ? ", _ residual: UnsafePointer<Float>" : ""))") { out in
        // Zero fills the rows of a partial square and is relu's floor; a clamp-free tile of
        // whole squares (1 vector x 8 columns at 8 lanes) uses none (an unused `let` is a warning).
        if width % lanes != 0 || clamp != .none { out.line("let zero = \(vector)(repeating: 0)") }
        if clamp == .relu6 { out.line("let six = \(vector)(repeating: 6)") }
        for v in 0..<vectors {
          for first in stride(from: 0, to: width, by: lanes) {
            let columns = min(lanes, width - first)
            out.block("do") { out in
              for r in 0..<lanes {
                let load = "UnsafeRawPointer(stage).loadUnaligned(fromByteOffset: \(((first + r) * tile + v * lanes) * 4), as: \(vector).self)"
                out.line("var r\(r) = \(r < columns ? load : "zero")")
              }
              out.block("for _ in 0..<\(rounds)") { out in
                for i in 0..<lanes / 2 {
                  out.line("let (e\(i), o\(i)) = Self.\(unshuffle)(r\(2 * i), r\(2 * i + 1))")
                }
                for i in 0..<lanes / 2 {
                  out.line("r\(i) = e\(i)")
                  out.line("r\(i + lanes / 2) = o\(i)")
                }
              }
              for c in 0..<lanes {
                let channel = v * lanes + c
                out.block("if \(channel) < valid") { out in
                  if residual {
                    out.line("let q = UnsafeRawPointer(residual + (\(channel) &* plane &+ \(first)))")
                    out.line("r\(c) += \(loadPieces("q", lanes: lanes, count: columns))")
                  }
                  clamp.statements(clamping: "r\(c)").forEach { out.line($0) }
                  out.line("let o = UnsafeMutableRawPointer(out + (\(channel) &* plane &+ \(first)))")
                  storePieces("r\(c)", lanes: lanes, count: columns).forEach { out.line($0) }
                }
              }
            }
          }
        }
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text
    }
    return context.helpers?.function(key, body) ?? "missingHelpers"
  }

  /// An expression for a `lanes`-wide vector whose first `count` lanes are the floats at `q`
  /// (a raw pointer) and the rest zero, read as the pieces `storePieces` writes (never past
  /// the `count`th float: a channel's last columns may end its tensor).
  static func loadPieces(_ q: String, lanes: Int, count: Int, offset: Int = 0) -> String {
    if count == 0 { return "SIMD\(lanes)<Float>()" }
    if lanes == 2 {
      // The last one or two floats as scalars.
      let second = count == 2 ? "(\(q) + \((offset + 1) * 4)).loadUnaligned(as: Float.self)" : "0"
      return "SIMD2<Float>((\(q) + \(offset * 4)).loadUnaligned(as: Float.self), \(second))"
    }
    if count >= lanes {
      return "(\(q) + \(offset * 4)).loadUnaligned(as: SIMD\(lanes)<Float>.self)"
    }
    let half = lanes / 2
    let low = loadPieces(q, lanes: half, count: min(count, half), offset: offset)
    let high = loadPieces(q, lanes: half, count: max(0, count - half), offset: offset + half)
    return "SIMD\(lanes)<Float>(lowHalf: \(low), highHalf: \(high))"
  }

  /// Statements storing the first `count` lanes of the `lanes`-wide vector `value` at `o` (a
  /// raw pointer): the largest halves first (11 of 16: lanes 0–7, 8–9, then 10).
  static func storePieces(_ value: String, lanes: Int, count: Int) -> [String] {
    var statements: [String] = []
    var offset = 0
    var size = lanes
    while offset < count {
      while size > count - offset { size /= 2 }
      if size == 1 {
        statements.append("(o + \(offset * 4)).storeBytes(of: \(value)[\(offset)], as: Float.self)")
      } else {
        // The piece [offset, offset + size) as a chain of halves down from the whole vector.
        var path = value
        var length = lanes
        while length > size {
          length /= 2
          path += offset & length != 0 ? ".highHalf" : ".lowHalf"
        }
        statements.append("(o + \(offset * 4)).storeBytes(of: \(path), as: SIMD\(size)<Float>.self)")
      }
      offset += size
    }
    return statements
  }
}
