/// Depthwise convolution (one input and one output channel per group), SIMD over the output
/// pixels of a channel.
///
/// Stride 1 or 2: each thread zeroes one stack buffer, then per channel
/// copies the plane inside its zero border there, split for stride 2 into its polyphase planes
/// (even/odd rows x even/odd columns), so that every tap is a stride-1 read of one plane. The
/// output is computed over the *flattened* grid whose row stride is the buffer's row width: a
/// vector covers the end of one row and the start of the next, every tap is one unaligned load
/// at a literal offset and one FMA, and the few columns past the output width are computed and
/// dropped when the valid columns are copied out (through the fused epilogue; relu and relu6 on
/// the vectors). Weights stay in PyTorch's order (`[C][kh][kw]`, bias `[C]` after them).
extension Convolution {
  /// Whether the SIMD depthwise kernel applies (else the axpy-row kernel).
  static func usesDepthwise(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    return g.inPerGroup == 1 && g.outPerGroup == 1 && (g.strideW == 1 || g.strideW == 2)
      && g.kernelH * g.kernelW <= 49
  }

  static func emitDepthwise(_ context: KernelContext, _ g: Geometry, _ out: inout SwiftEmitter) {
    emitPolyphase(context, PhasePlan(context, g), &out)
  }

  /// The buffer of the polyphase kernel: `strideH * strideW` planes of `height x width` floats,
  /// `planeStride` apart, each holding `padded[a + strideH * i][b + strideW * j]` at `[i][j]`.
  /// The output is computed in strips of `stripRows` rows (a whole number of vectors, ~4 KB of
  /// stage), each right after the input rows it reads are copied and right before it is stored,
  /// so that large planes stream through L1.
  struct PhasePlan {
    var strideH, strideW, height, width, planeStride: Int
    /// Buffer offset of each tap, `[ky][kx]` order.
    var offsets: [Int]
    /// Output vectors over the flattened grid (`oy * width + ox`), and floats of the buffer.
    var vectors, count: Int
    var stripRows, strips, stripVectors: Int
    /// Input rows needed by strip `s`: `min(input height, s * needPerStrip + needBase)`.
    var needPerStrip, needBase: Int

    init(_ context: KernelContext, _ g: Geometry) {
      (strideH, strideW) = (g.strideH, g.strideW)
      height = (g.paddedH + g.strideH - 1) / g.strideH
      width = (g.paddedW + g.strideW - 1) / g.strideW
      planeStride = height * width
      var offsets: [Int] = []
      for ky in 0..<g.kernelH {
        for kx in 0..<g.kernelW {
          let (dy, dx) = (ky * g.dilationH, kx * g.dilationW)
          let phase = (dy % g.strideH) * g.strideW + dx % g.strideW
          offsets.append(phase * planeStride + dy / g.strideH * width + dx / g.strideW)
        }
      }
      self.offsets = offsets
      let output = context.output
      let lanes = context.lanes
      let valid = (output.height - 1) * width + output.width
      vectors = (valid + lanes - 1) / lanes
      // Garbage lanes of the last vector read past the last plane: keep them inside the buffer.
      count = max(strideH * strideW * planeStride, offsets.max()! + vectors * lanes)
      var divisor = lanes
      while width % divisor != 0 { divisor /= 2 }
      let unit = lanes / divisor  // rows per whole number of vectors
      stripRows = min(unit * max(1, 1024 / (unit * width)), output.height)
      strips = (output.height + stripRows - 1) / stripRows
      stripVectors = stripRows * width % lanes == 0 ? stripRows * width / lanes : vectors
      // Strip `s` reads padded rows up to `strideH * ((s + 1) * stripRows - 1) + reach`.
      needPerStrip = strideH * stripRows
      needBase = strideH * (stripRows - 1) + (g.kernelH - 1) * g.dilationH + 1 - g.padTop
    }
  }

  /// The clamp the vector loop applies itself when the fused followers are exactly it.
  enum DepthwiseClamp {
    case none, relu, relu6

    init?(_ context: KernelContext) {
      switch context.fusedFollowers.map({ context.lowered.checked.layers[$0].kind }) {
      case []: self = .none
      case [.relu]: self = .relu
      case [.relu6]: self = .relu6
      default: return nil
      }
    }
  }

  static func emitPolyphase(_ context: KernelContext, _ plan: PhasePlan,
                            _ out: inout SwiftEmitter) {
    let output = context.output
    let parallel = Threading.worthSplitting(work: macs(context), iterations: output.channels)
    let stage = plan.stripVectors * context.lanes
    // Blocks of channels, each zeroing its buffer once (the copies never write the borders).
    let blocks = parallel ? min(output.channels, 8) : 1
    let channels = output.channels
    Threading.emitLoop("block", blocks, parallel: parallel, &out) { out in
      out.block("withUnsafeTemporaryAllocation(of: Float.self, capacity: \(plan.count + stage))") { out in
        out.line("buffer in")
        out.line("let plane = buffer.baseAddress!")
        out.line("let stage = plane + \(plan.count)")
        out.line("plane.update(repeating: 0, count: \(plan.count))")
        out.block("for c in (block &* \(channels) / \(blocks))..<((block &+ 1) &* \(channels) / \(blocks))") { out in
          emitWeights(context, plan, &out)
          out.line("var copied = 0")
          out.block(forLoop("strip", plan.strips)) { out in
            out.line("let need = min(\(context.input.height), strip &* \(plan.needPerStrip) &+ \(plan.needBase))")
            emitPhaseCopy(context, geometry(context), plan, &out)
            out.line("copied = max(copied, need)")
            emitPhaseSums(context, plan, &out)
            emitCopyOut(context, plan, &out)
          }
        }
      }
    }
  }

  /// Input rows `copied..<need` of channel `c` into the planes (interior only: the zero borders
  /// are never written).
  static func emitPhaseCopy(_ context: KernelContext, _ g: Geometry, _ plan: PhasePlan,
                            _ out: inout SwiftEmitter) {
    let input = context.input
    out.block("for row in copied..<max(copied, need)") { out in
      out.line("let src = x0 + ((c &* \(input.height) &+ row) &* \(input.width))")
      if plan.strideH == 1 {
        out.line("let to = plane + ((row &+ \(g.padTop)) &* \(plan.width))")
      } else {
        out.line("let padded = row &+ \(g.padTop)")
        out.line("let to = plane + ((padded & 1) &* \(plan.strideW * plan.planeStride) &+ (padded >> 1) &* \(plan.width))")
      }
      if plan.strideW == 1 {
        out.line("let even = to + \(g.padLeft)")
        emitRowCopy(width: input.width, lanes: context.lanes, pairs: false, &out)
      } else {
        // Even input columns land in phase `padLeft % 2`, odd ones in the other.
        let evenPhase = g.padLeft % 2
        let even = evenPhase * plan.planeStride + g.padLeft / 2
        let odd = (1 - evenPhase) * plan.planeStride + (g.padLeft + 1) / 2
        out.line("let even = to + \(even)")
        out.line("let odd = to + \(odd)")
        emitRowCopy(width: input.width, lanes: context.lanes, pairs: true, &out)
      }
    }
  }

  /// `even[j] = src[j]` for a row of `width` or, with `pairs`, `even[j] = src[2j]`,
  /// `odd[j] = src[2j + 1]`: vectors, then halving vectors for the remainder, then scalars (no
  /// read or write outside the row, no call).
  static func emitRowCopy(width: Int, lanes: Int, pairs: Bool, _ out: inout SwiftEmitter) {
    let step = pairs ? 2 : 1
    func piece(_ size: Int, from: String, to: String, _ out: inout SwiftEmitter) {
      out.line("let v = UnsafeRawPointer(src + (\(from))).loadUnaligned(as: SIMD\(size)<Float>.self)")
      if pairs {
        out.line("UnsafeMutableRawPointer(even + (\(to))).storeBytes(of: v.evenHalf, as: SIMD\(size / 2)<Float>.self)")
        out.line("UnsafeMutableRawPointer(odd + (\(to))).storeBytes(of: v.oddHalf, as: SIMD\(size / 2)<Float>.self)")
      } else {
        out.line("UnsafeMutableRawPointer(even + (\(to))).storeBytes(of: v, as: SIMD\(size)<Float>.self)")
      }
    }
    let wide = step * lanes
    let chunks = width / wide
    if chunks > 1 {
      out.block(forLoop("chunk", chunks)) { out in
        piece(wide, from: "chunk &* \(wide)", to: "chunk &* \(lanes)", &out)
      }
    } else if chunks == 1 {
      out.block("do") { out in piece(wide, from: "0", to: "0", &out) }
    }
    var done = chunks * wide
    var size = wide / 2
    while size >= 2 * step {
      if width - done >= size {
        out.block("do") { out in piece(size, from: "\(done)", to: "\(done / step)", &out) }
        done += size
      }
      size /= 2
    }
    while done < width {
      let target = pairs && done % 2 == 1 ? "odd" : "even"
      out.line("\(target)[\(done / step)] = src[\(done)]")
      done += 1
    }
  }

  static func emitWeights(_ context: KernelContext, _ plan: PhasePlan, _ out: inout SwiftEmitter) {
    let vector = context.vectorType
    let taps = plan.offsets.count
    let biasOffset = context.weightOffset + context.output.channels * taps
    out.line("let kernel = weights + (\(context.weightOffset) &+ c &* \(taps))")
    for t in 0..<taps { out.line("let w\(t) = \(vector)(repeating: kernel[\(t)])") }
    out.line("let bias = \(vector)(repeating: weights[\(biasOffset) &+ c])")
    let clamp = DepthwiseClamp(context) ?? .none
    if clamp != .none { out.line("let zero = \(vector)(repeating: 0)") }
    if clamp == .relu6 { out.line("let six = \(vector)(repeating: 6)") }
  }

  /// `stage[i - first] = bias + sum_t w_t * plane[i + offset_t]` for the strip's vectors `i` of
  /// the flattened grid, clamped when the fused followers are exactly relu or relu6.
  static func emitPhaseSums(_ context: KernelContext, _ plan: PhasePlan,
                            _ out: inout SwiftEmitter) {
    let vector = context.vectorType
    let lanes = context.lanes
    let clamp = DepthwiseClamp(context) ?? .none
    out.line("let first = strip &* \(plan.stripVectors)")
    out.block("for i in first..<min(\(plan.vectors), first &+ \(plan.stripVectors))") { out in
      out.line("let q = UnsafePointer(plane + (i &* \(lanes)))")
      out.line("var acc = bias")
      for (t, offset) in plan.offsets.enumerated() {
        out.line("let p\(t) = UnsafeRawPointer(q + \(offset)).loadUnaligned(as: \(vector).self)")
        out.line("acc = \(context.multiplyAdd("acc", "w\(t)", "p\(t)"))")
      }
      // `replacing(with:where:)` compiles to vmaxps/vminps (codegen-notes pitfall 2).
      if clamp != .none { out.line("acc = acc.replacing(with: zero, where: acc .< zero)") }
      if clamp == .relu6 { out.line("acc = acc.replacing(with: six, where: acc .> six)") }
      out.line("UnsafeMutableRawPointer(stage + ((i &- first) &* \(lanes))).storeBytes(of: acc, as: \(vector).self)")
    }
  }

  /// The valid columns of the strip's rows into `y`, through the epilogue unless it was a clamp.
  static func emitCopyOut(_ context: KernelContext, _ plan: PhasePlan, _ out: inout SwiftEmitter) {
    let output = context.output
    let epilogue = DepthwiseClamp(context) == nil ? context.epilogue(channel: "c") : []
    out.line("let top = strip &* \(plan.stripRows)")
    out.block("for oy in top..<min(\(output.height), top &+ \(plan.stripRows))") { out in
      out.line("let even = y + ((c &* \(output.height) &+ oy) &* \(output.width))")
      out.line("let src = UnsafePointer(stage + ((oy &- top) &* \(plan.width)))")
      if epilogue.isEmpty {
        emitRowCopy(width: output.width, lanes: context.lanes, pairs: false, &out)
        return
      }
      out.block(forLoop("ox", output.width)) { out in
        out.line("var v = src[ox]")
        epilogue.forEach { out.line($0) }
        out.line("even[ox] = v")
      }
    }
  }
}

