/// Depthwise stride-1 planes narrower than a vector (MobileNet's 14x14 and 7x7), computed
/// straight from the input plane over its flattened pixels: a vector covers the end of one row
/// and the start of the next, every tap is one unaligned load at a literal offset from the plane,
/// and the lanes whose tap falls in the padding (a neighbouring row's or plane's pixels) are
/// cleared by an AND with a mask from the class's table (memory the optimizer cannot fold).
/// No padded copy in or out and no per-plane loop: the strips spent most of their time copying
/// 7-float rows. The first and last planes, whose masked lanes would read outside the tensor,
/// keep the strips.
extension Convolution {
  struct FlatPlane {
    /// Output vectors; the last one ends at the plane's end.
    var vectors, pixels: Int
    /// Per tap (`[ky][kx]` order) its load offset from the vector's first pixel.
    var offsets: [Int]
    /// Per vector, per tap, the lanes that read inside the plane.
    var masks: [[Bool]]

    /// Largest plane, in vectors, the kernel takes. On 14x14 planes (13 vectors of 9 masked
    /// taps) it only matched the strips (MobileNetV1 14x14x512: 0.046 vs 0.045 ms); on 7x7
    /// (4 vectors) it wins: 7x7x1024 0.044 -> 0.028 ms.
    static let maximumVectors = 4

    init?(_ context: KernelContext) {
      let (input, output, lanes, g) = (context.input, context.output, context.lanes,
                                       geometry(context))
      pixels = output.height * output.width
      guard g.strideH == 1, g.strideW == 1, output.width == input.width,
            output.width < lanes, pixels >= lanes, pixels <= Self.maximumVectors * lanes,
            output.channels >= 3,
            DepthwiseClamp(context) != nil else { return nil }
      vectors = (pixels + lanes - 1) / lanes
      var offsets: [Int] = []
      var masks: [[Bool]] = []
      for ky in 0..<g.kernelH {
        for kx in 0..<g.kernelW {
          offsets.append((ky * g.dilationH - g.padTop) * input.width + kx * g.dilationW - g.padLeft)
        }
      }
      for v in 0..<vectors {
        let start = min(v * lanes, pixels - lanes)
        for ky in 0..<g.kernelH {
          for kx in 0..<g.kernelW {
            let (dy, dx) = (ky * g.dilationH - g.padTop, kx * g.dilationW - g.padLeft)
            masks.append((0..<lanes).map { j -> Bool in
              let (oy, ox) = ((start + j) / output.width, (start + j) % output.width)
              return oy + dy >= 0 && oy + dy < input.height && ox + dx >= 0 && ox + dx < input.width
            })
          }
        }
      }
      (self.offsets, self.masks) = (offsets, masks)
      // Masked lanes read the neighbouring planes, which must cover them.
      let reach = offsets.map { max(-$0, $0 + lanes) }.max()!
      guard reach <= pixels else { return nil }
    }
  }

  static func emitFlatPlanes(_ context: KernelContext, _ plan: PhasePlan, _ flat: FlatPlane,
                             _ out: inout SwiftEmitter) {
    let (input, output, lanes, vector) = (context.input, context.output, context.lanes,
                                          context.vectorType)
    let bits = "SIMD\(lanes)<UInt32>"
    let parallel = splitsDepthwise(context)
    let blocks = parallel ? min(output.channels, 8) : 1
    let channels = output.channels
    let table = maskTable(context, flat.masks)
    let stage = plan.stripVectors * lanes
    let clamp = DepthwiseClamp(context) ?? DepthwiseClamp.none
    Threading.emitPartLoop("block", blocks, parallel: parallel, &out) { out in
      out.line("let masks = UnsafePointer(Self.\(table))")
      out.block("for c in (block &* \(channels) / \(blocks))..<((block &+ 1) &* \(channels) / \(blocks))") { out in
        emitWeights(context, plan, &out)
        out.block("if c == 0 || c == \(channels - 1)") { out in
          Threading.emitPartBuffer(plan.count + stage, context, &out) { out in
            out.line("let plane = buffer.baseAddress!")
            out.line("let stage = plane + \(plan.count)")
            out.line("plane.update(repeating: 0, count: \(plan.count))")
            emitStrips(context, plan, &out)
          }
        }
        out.block("else") { out in
          out.line("let p = x0 + c &* \(input.height * input.width)")
          out.line("let o = y + c &* \(output.height * output.width)")
          // Every vector's accumulator at once, tap by tap, so the vectors' chains of
          // multiply-adds overlap, and no mask for a tap whose lanes all read inside the plane
          // (9 of 36 on 7x7). A loop over the vectors ran the chains one after another:
          // MobileNetV2's 7x7x960 took 0.030 ms that way, 0.026 interleaved, 0.023 with the
          // masks skipped. Unrolling is safe at `maximumVectors`' 4 vectors; over 13 (14x14,
          // when the kernel took those) LLVM rebuilt the overlapping loads from each other with
          // permutes and spilled (14x14x512 0.045 -> 0.126 ms), which is why the kernel was a
          // loop before.
          let starts = (0..<flat.vectors).map { min($0 * lanes, flat.pixels - lanes) }
          for v in starts.indices { out.line("var acc\(v) = bias") }
          for (tap, offset) in flat.offsets.enumerated() {
            for (v, start) in starts.enumerated() {
              let at = start + offset
              let load = "UnsafeRawPointer(p \(at < 0 ? "-" : "+") \(abs(at))).loadUnaligned(as: \(bits).self)"
              let index = v * flat.offsets.count + tap
              if flat.masks[index].allSatisfy({ $0 }) {
                out.line("let q\(v)_\(tap) = unsafeBitCast(\(load), to: \(vector).self)")
              } else {
                let mask = "UnsafeRawPointer(masks + \(index * lanes)).loadUnaligned(as: \(bits).self)"
                out.line("let q\(v)_\(tap) = unsafeBitCast(\(load) & \(mask), to: \(vector).self)")
              }
              out.line("acc\(v) = \(context.multiplyAdd("acc\(v)", "w\(tap)", "q\(v)_\(tap)"))")
            }
          }
          for v in starts.indices {
            clamp.statements(clamping: "acc\(v)").forEach { out.line($0) }
          }
          for (v, start) in starts.enumerated() {
            out.line("UnsafeMutableRawPointer(o + \(start)).storeBytes(of: acc\(v), as: \(vector).self)")
          }
        }
      }
    }
  }

  /// The class's table of the flat kernel's lane masks (all bits set or clear per lane), one
  /// vector each, built from 64-bit lane patterns so the optimizer cannot fold them.
  static func maskTable(_ context: KernelContext, _ masks: [[Bool]]) -> String {
    let lanes = context.lanes
    let patterns = masks.map { mask in
      mask.enumerated().reduce(UInt64(0)) { $0 | ($1.element ? UInt64(1) << UInt64($1.offset) : 0) }
    }
    let key = "depthwise masks \(lanes) " + patterns.map(String.init).joined(separator: ",")
    guard let helpers = context.helpers else { return "depthwiseMasks" }
    return helpers.function(key) { name in
      var out = SwiftEmitter()
      out.line("/// Lane masks of a flat depthwise kernel, \(lanes) words each.")
      out.block("nonisolated(unsafe) private static let \(name): UnsafeMutablePointer<Float> =") { out in
        out.line("let patterns: [UInt64] = [\(patterns.map(String.init).joined(separator: ", "))]")
        // 64-byte aligned: a vector load that splits a cache line costs two.
        out.line("let table = UnsafeMutableRawPointer.allocate(byteCount: \(max(1, masks.count) * lanes * 4), alignment: 64).bindMemory(to: Float.self, capacity: \(max(1, masks.count) * lanes))")
        out.block("for (k, pattern) in patterns.enumerated()") { out in
          out.block("for j in 0..<\(lanes)") { out in
            out.line("let bits: UInt32 = (pattern >> UInt64(j)) & 1 == 1 ? UInt32.max : 0")
            out.line("(table + (k * \(lanes) + j)).initialize(to: Float(bitPattern: bits))")
          }
        }
        out.line("return table")
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text + "()"
    }
  }
}
