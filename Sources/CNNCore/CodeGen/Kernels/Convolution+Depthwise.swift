/// Depthwise convolution (one input and one output channel per group), SIMD over the output
/// pixels of a channel.
///
/// Stride 1 or 2: each thread zeroes its work buffer, then per channel
/// copies the plane inside its zero border there, split for stride 2 into its polyphase planes
/// (even/odd rows x even/odd columns), so that every tap is a stride-1 read of one plane. The
/// output is computed over the *flattened* grid whose row stride is the buffer's row width: a
/// vector covers the end of one row and the start of the next, every tap is one unaligned load
/// at a literal offset and one FMA, and the few columns past the output width are computed and
/// dropped when the valid columns are copied out (through the fused epilogue; relu and relu6 on
/// the vectors). Planes at least one vector wide whose followers are none, relu or relu6 are
/// instead computed from the input rows directly (`Convolution+DepthwiseRows.swift`), their
/// first and last planes in row blocks stored straight into the output (below). Weights stay in
/// PyTorch's order (`[C][kh][kw]`, bias `[C]` after them).
extension Convolution {
  /// Whether the SIMD depthwise kernel applies (else the axpy-row kernel).
  static func usesDepthwise(_ context: KernelContext) -> Bool {
    let g = geometry(context)
    return g.inPerGroup == 1 && g.outPerGroup == 1 && (g.strideW == 1 || g.strideW == 2)
      && g.kernelH * g.kernelW <= 49
  }

  /// Whether a depthwise step runs on several threads. A depthwise multiply-add costs several
  /// times a dense one (one FMA per loaded vector, planes copied or masked, per-plane setup:
  /// MobileNetV1's depthwise layers run at 13-60 GFLOP/s against ~140 for its 1x1 convs), so
  /// its work counts 5x toward `Threading.minimumWork`: the 14x14 and 7x7 layers (0.04 ms) split.
  static func splitsDepthwise(_ context: KernelContext) -> Bool {
    Threading.worthSplitting(work: 5 * macs(context), iterations: context.output.channels)
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
      // (The row blocks read up to one vector past the last row's start.)
      let reach = max(vectors * lanes, (output.height - 1) * width + max(output.width, lanes))
      count = max(strideH * strideW * planeStride, offsets.max()! + reach)
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

    /// Statements clamping the vector variable `name` in place: the SGEMM's (`GEMM.Clamp`;
    /// they need `zero`, and `six` for relu6, in scope).
    func statements(clamping name: String) -> [String] {
      let clamp: GEMM.Clamp = switch self {
      case .none: .none
      case .relu: .relu
      case .relu6: .relu6
      }
      return clamp.statements(clamping: name)
    }
  }

  static func emitPolyphase(_ context: KernelContext, _ plan: PhasePlan,
                            _ out: inout SwiftEmitter) {
    if let rows = DepthwiseRows(context) {
      emitDepthwiseRows(context, plan, rows, &out)
      return
    }
    if let flat = FlatPlane(context) {
      emitFlatPlanes(context, plan, flat, &out)
      return
    }
    let output = context.output
    let parallel = splitsDepthwise(context)
    let stage = plan.stripVectors * context.lanes
    // Blocks of channels, each zeroing its buffer once (the copies never write the borders).
    let blocks = parallel ? min(output.channels, 8) : 1
    let channels = output.channels
    Threading.emitPartLoop("block", blocks, parallel: parallel, &out) { out in
      Threading.emitPartBuffer(plan.count + stage, context, &out) { out in
        out.line("let plane = buffer.baseAddress!")
        out.line("let stage = plane + \(plan.count)")
        out.line("plane.update(repeating: 0, count: \(plan.count))")
        out.block("for c in (block &* \(channels) / \(blocks))..<((block &+ 1) &* \(channels) / \(blocks))") { out in
          emitWeights(context, plan, &out)
          emitStrips(context, plan, &out)
        }
      }
    }
  }

  /// Channel `c` strip by strip: rows copied into `plane`, sums into `stage`, valid columns out.
  static func emitStrips(_ context: KernelContext, _ plan: PhasePlan, _ out: inout SwiftEmitter) {
    out.line("var copied = 0")
    out.block(forLoop("strip", plan.strips)) { out in
      out.line("let need = min(\(context.input.height), strip &* \(plan.needPerStrip) &+ \(plan.needBase))")
      emitPhaseCopy(context, geometry(context), plan, &out)
      out.line("copied = max(copied, need)")
      emitPhaseSums(context, plan, &out)
      emitCopyOut(context, plan, &out)
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
        // Measured: the two-vector permute helps planes that stay in L1 (MobileNetV1 56 -> 28:
        // 0.073 -> 0.064 ms) but not larger ones (112 -> 56: 0.257 -> 0.317 ms; not understood).
        let permute = plan.count * 4 <= 32 * 1024
        emitRowCopy(width: input.width, lanes: context.lanes, pairs: true, permute: permute, &out)
      }
    }
  }

  /// `even[j] = src[j]` for a row of `width` or, with `pairs`, `even[j] = src[2j]`,
  /// `odd[j] = src[2j + 1]`: vectors, then halving vectors for the remainder down to 4 floats
  /// stored, then a last such piece overlapping the one before (or scalars where the row is
  /// too short or, for pairs, odd): no read or write outside the row, no call. No SIMD2 pieces: a
  /// 2-float copy into a strip that the kernel then read as 8-float vectors crashed swiftc
  /// 6.3.1 for AVX2 targets (LLVM: "Instruction does not dominate all uses", a 2x2 plane).
  static func emitRowCopy(width: Int, lanes: Int, pairs: Bool, permute: Bool = false,
                          _ out: inout SwiftEmitter) {
    let step = pairs ? 2 : 1
    func piece(_ size: Int, from: String, to: String, _ out: inout SwiftEmitter) {
      if pairs && permute && size == 2 * lanes {
        // Two vectors and one two-source permute per half (a SIMD32 `evenHalf` inside the loop
        // compiles to dozens of broadcasts and permutes).
        let vector = "SIMD\(lanes)<Float>"
        out.line("let a = UnsafeRawPointer(src + (\(from))).loadUnaligned(as: \(vector).self)")
        out.line("let b = UnsafeRawPointer(src + (\(from) &+ \(lanes))).loadUnaligned(as: \(vector).self)")
        out.line("UnsafeMutableRawPointer(even + (\(to))).storeBytes(of: \(vector)(lowHalf: a.evenHalf, highHalf: b.evenHalf), as: \(vector).self)")
        out.line("UnsafeMutableRawPointer(odd + (\(to))).storeBytes(of: \(vector)(lowHalf: a.oddHalf, highHalf: b.oddHalf), as: \(vector).self)")
        return
      }
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
        piece(wide, from: "chunk &* \(wide)", to: "chunk &* \(wide / step)", &out)
      }
    } else if chunks == 1 {
      out.block("do") { out in piece(wide, from: "0", to: "0", &out) }
    }
    var done = chunks * wide
    var size = wide / 2
    while size >= 4 * step {
      if width - done >= size {
        out.block("do") { out in piece(size, from: "\(done)", to: "\(done / step)", &out) }
        done += size
      }
      size /= 2
    }
    // The last few floats: one more piece of the smallest size, ending at the row's end and
    // overlapping floats already copied (it rewrites them with the same values), where the
    // row holds one and, for pairs, it starts on an even column; else scalars.
    let last = 4 * step
    let overlapStart = width - last
    if done < width && overlapStart >= 0 && overlapStart % step == 0 {
      out.block("do") { out in piece(last, from: "\(overlapStart)", to: "\(overlapStart / step)", &out) }
      done = width
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
      clamp.statements(clamping: "acc").forEach { out.line($0) }
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

/// Output rows computed `rows` at a time straight into `y` from the padded plane, for the first
/// and last planes of the direct-row kernel (their edge rows have no neighbours to read past):
/// every loaded vector of the buffer feeds every output row of the block that reads it (a 3x3 stride-1 block of 4 rows loads 18 vectors
/// for 36 multiply-adds instead of 36), and the columns are vectors at `ox = 0, lanes, ...`, the
/// last one moved back to end at the output width (it recomputes, and rewrites with the same
/// values, a few columns). The last block likewise ends at the last output row. Input rows are
/// copied one block ahead of the loads that read them. MobileNetV1, 1 thread, ms (strips -> row
/// blocks): 112x112x32 0.231 -> 0.16, 112 -> 56 s2 0.30 -> 0.26, 56x56x128 0.213 -> 0.13,
/// 28x28x256 0.087 -> 0.055. Narrow planes stay on strips: row blocks of 14- and 7-wide rows were
/// 1.5-2.5x slower there (overlapping literal-offset stores turn into shuffle mazes).
extension Convolution {
  struct RowBlocks {
    var rows, blocks, chunks: Int
    /// Input rows needed by the block at output row `top`: `min(input height, top * strideH + needBase)`.
    var needBase: Int

    init?(_ context: KernelContext, _ plan: PhasePlan) {
      let (output, g) = (context.output, geometry(context))
      guard output.width >= context.lanes, DepthwiseClamp(context) != nil else { return nil }
      rows = min(output.height, plan.offsets.count <= 9 ? 4 : 2)
      blocks = (output.height + rows - 1) / rows
      chunks = (output.width + context.lanes - 1) / context.lanes
      needBase = g.strideH * (rows - 1) + (g.kernelH - 1) * g.dilationH + 1 - g.padTop
    }
  }

  static func emitRowBlockLoop(_ context: KernelContext, _ plan: PhasePlan, _ rows: RowBlocks,
                               _ out: inout SwiftEmitter) {
    let (input, output, lanes) = (context.input, context.output, context.lanes)
    let last = output.height - rows.rows
    out.block(forLoop("rowBlock", rows.blocks)) { out in
      out.line("let top = min(rowBlock &* \(rows.rows), \(last))")
      // Rows up to the next block's are copied, one block ahead of the loads that read them.
      out.line("let next = min((rowBlock &+ 1) &* \(rows.rows), \(last))")
      out.line("let need = min(\(input.height), next &* \(plan.strideH) &+ \(rows.needBase))")
      emitPhaseCopy(context, geometry(context), plan, &out)
      out.line("copied = max(copied, need)")
      out.block(forLoop("chunk", rows.chunks)) { out in
        out.line("let ox = min(chunk &* \(lanes), \(max(0, output.width - lanes)))")
        out.line("let q = UnsafePointer(plane + (top &* \(plan.width) &+ ox))")
        out.line("let to = y + ((c &* \(output.height) &+ top) &* \(output.width) &+ ox)")
        emitBlockSums(context, plan, rows, &out)
      }
    }
  }

  /// The block's accumulators `acc<r>`, each buffer vector loaded once and multiplied into every
  /// row that reads it, then clamped and stored at `to + r * output width`.
  static func emitBlockSums(_ context: KernelContext, _ plan: PhasePlan, _ block: RowBlocks,
                            _ out: inout SwiftEmitter) {
    let vector = context.vectorType
    let rows = block.rows
    var readers: [Int: [(row: Int, tap: Int)]] = [:]
    for r in 0..<rows {
      for (t, offset) in plan.offsets.enumerated() {
        readers[r * plan.width + offset, default: []].append((r, t))
      }
    }
    for r in 0..<rows { out.line("var acc\(r) = bias") }
    for (n, address) in readers.keys.sorted().enumerated() {
      out.line("let p\(n) = UnsafeRawPointer(q + \(address)).loadUnaligned(as: \(vector).self)")
      for (r, t) in readers[address]! {
        out.line("acc\(r) = \(context.multiplyAdd("acc\(r)", "w\(t)", "p\(n)"))")
      }
    }
    let clamp = DepthwiseClamp(context) ?? .none
    for r in 0..<rows {
      clamp.statements(clamping: "acc\(r)").forEach { out.line($0) }
      out.line("UnsafeMutableRawPointer(to + \(r * context.output.width)).storeBytes(of: acc\(r), as: \(vector).self)")
    }
  }
}
