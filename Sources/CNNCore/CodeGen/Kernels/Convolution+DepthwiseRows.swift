/// Depthwise output rows computed straight from the input planes, with no padded copy: for
/// planes at least one vector wide whose fused followers the vector loop clamps itself.
///
/// A block of `rows` output rows reads its input rows through row pointers; a row outside the
/// plane (the zero padding above and below) points at a zero row instead, so the top and bottom
/// blocks run the same code. Columns are vectors at `ox = 0, lanes, ...`, the last moved back to
/// end at the output width; a tap's vector is one unaligned load (stride 1) or, for stride 2,
/// the even or odd half of two loads (one two-source permute), shared by every output row of the
/// block that reads it. The lanes of the first and last column vector that fall in the left or
/// right padding are zeroed by a blend with a mask (their loads read the ends of the
/// neighbouring rows, which are in bounds except around the tensor's first and last rows: the
/// first and last planes take the row-block kernel and its padded copy instead).
/// This replaces the polyphase copy, whose plane buffer outgrows L1 on big planes. MobileNetV1,
/// 1 thread, ms (min of 8 A/B runs, row blocks -> direct rows): 112x112x32 0.185 -> 0.144,
/// 112 -> 56 s2 0.275 -> 0.158, 56x56x128 0.143 -> 0.129, 56 -> 28 s2 0.068 -> 0.060, 28x28x256
/// 0.056 -> 0.050; MobileNetV2 112 -> 56 s2 (96 channels) 0.412 -> 0.225. Rows narrower than a
/// vector stay on the strips: computing garbage lanes past the row end (stored partially on a
/// plane's last row) was slower there (14x14x512 0.045 -> 0.085 ms, 28 -> 14 s2 0.043 -> 0.048).
/// On AVX2 a shifted stride-2 column is a rotation and a blend (`emitRowsBody`): MobileNetV1's
/// 112 -> 56 s2 0.243 -> 0.202 ms, 56 -> 28 0.121 -> 0.096; MobileNetV2's 112 -> 56 (96
/// channels) 0.386 -> 0.304 (1 thread, interleaved, Zen 3; onnxruntime 0.204 / 0.078 / -).
extension Convolution {
  struct DepthwiseRows {
    var rows, blocks, inputRows, chunks: Int
    /// Distinct column offsets `kx * dilation - padLeft` of the taps, ascending.
    var columns: [Int]
    /// Floats read around a row start, `rowStart + minRead ... rowStart + maxRead`.
    var minRead, maxRead: Int
    var strideH, strideW: Int
    /// How each column's vector is built at stride 2 (empty at stride 1).
    var stridedTaps: [StridedTap] = []

    init?(_ context: KernelContext) {
      let (output, lanes, g) = (context.output, context.lanes, geometry(context))
      guard output.width >= lanes, DepthwiseClamp(context) != nil else { return nil }
      (strideH, strideW) = (g.strideH, g.strideW)
      rows = min(output.height, g.kernelH * g.kernelW <= 9 ? 4 : 2)
      blocks = (output.height + rows - 1) / rows
      inputRows = (rows - 1) * g.strideH + (g.kernelH - 1) * g.dilationH + 1
      chunks = (output.width + lanes - 1) / lanes
      columns = Array(Set((0..<g.kernelW).map { $0 * g.dilationW - g.padLeft })).sorted()
      let last = output.width - lanes
      if g.strideW == 1 {
        minRead = columns.first!
        maxRead = last + columns.last! + lanes - 1
      } else {
        minRead = Self.pairBase(columns.first!)
        maxRead = 2 * last + Self.pairBase(columns.last!) + 2 * lanes - 1
        stridedTaps = Self.stridedTaps(columns)
      }
    }

    /// Input rows of a block that some tap reads (all of them unless dilated).
    func usedRows(_ g: Geometry) -> [Int] {
      (0..<inputRows).filter { i in
        (0..<rows).contains { r in
          (0..<g.kernelH).contains { r * g.strideH + $0 * g.dilationH == i }
        }
      }
    }

    /// The even load offset whose pair of vectors holds column offset `d` of a stride-2 row:
    /// `d` itself (the even half) or `d - 1` (the odd half).
    static func pairBase(_ d: Int) -> Int { d - ((d % 2) + 2) % 2 }

    /// How a stride-2 row builds the vector of column offset `d` (`columns[n]`, lanes
    /// `d, d + 2, …`).
    enum StridedTap: Equatable {
      /// The even or odd half of the pair of loads at `base`.
      case half(base: Int, odd: Bool)
      /// Column `d + 2`'s vector moved up one lane, the value at `d` in lane 0.
      case shiftedUp(from: Int)
      /// Column `d - 2`'s vector moved down one lane, the value at `d + 2 * (lanes - 1)` last.
      case shiftedDown(from: Int)

      /// The column offset a shifted tap is moved from.
      var source: Int? {
        switch self {
        case .half: nil
        case .shiftedUp(let from), .shiftedDown(let from): from
        }
      }
    }

    /// Each of `columns`' `StridedTap`. A pair of loads whose other half no tap uses becomes, in
    /// LLVM's hands, an 8-lane gather (`vgatherqps`: MobileNetV2's 112² → 56² depthwise, whose
    /// `2·ox − 1` taps used only the odd halves of the pairs at `q − 2`, ran 6 gathers per 4
    /// rows x 16 columns); such a column is taken from its neighbour two columns away, one lane
    /// over, plus one scalar load (that layer 0.239 → 0.207 ms, interleaved).
    static func stridedTaps(_ columns: [Int]) -> [StridedTap] {
      let uses = Dictionary(grouping: columns, by: pairBase)
      return columns.map { d in
        let base = pairBase(d)
        guard uses[base]!.count == 1 else { return .half(base: base, odd: d != base) }
        let fullyUsed = { (c: Int) in columns.contains(c) && uses[pairBase(c)]!.count == 2 }
        if fullyUsed(d + 2) { return .shiftedUp(from: d + 2) }
        if fullyUsed(d - 2) { return .shiftedDown(from: d - 2) }
        return .half(base: base, odd: d != base)
      }
    }

    /// Lanes of a column vector at `ox` whose column `strideW * (ox + j) + d` is outside
    /// `0..<width`: a prefix count and a suffix count.
    func padding(ox: Int, column d: Int, width: Int, lanes: Int) -> (low: Int, high: Int) {
      let valid = (0..<lanes).map { j -> Bool in
        let x = strideW * (ox + j) + d
        return x >= 0 && x < width
      }
      let low = valid.prefix { !$0 }.count
      let high = valid.reversed().prefix { !$0 }.count
      return (min(low, lanes), low == lanes ? 0 : high)
    }
  }

  static func emitDepthwiseRows(_ context: KernelContext, _ plan: PhasePlan, _ rows: DepthwiseRows,
                                _ out: inout SwiftEmitter) {
    let output = context.output
    let parallel = splitsDepthwise(context)
    let blocks = parallel ? min(output.channels, 8) : 1
    let channels = output.channels
    let extent = rows.maxRead - rows.minRead + 1
    let table = zeroTable(context, count: extent)
    // The first plane's first row and the last plane's last row have no neighbour rows to read
    // past their ends: those two planes take the row-block kernel (its padded copy).
    let edges = rows.minRead < 0 || rows.maxRead >= context.input.width
    let blockRows = RowBlocks(context, plan)!
    Threading.emitPartLoop("block", blocks, parallel: parallel, &out) { out in
      out.line("let zeros = UnsafePointer(Self.\(table) + \(-rows.minRead))")
      emitLaneMasks(context, rows, lanes: "Self.\(table) + \(extent)", &out)
      out.block("for c in (block &* \(channels) / \(blocks))..<((block &+ 1) &* \(channels) / \(blocks))") { out in
        emitWeights(context, plan, &out)
        func direct(_ out: inout SwiftEmitter) {
          out.block(forLoop("rowBlock", rows.blocks)) { out in
            emitRowPointers(context, rows, &out)
            emitChunks(context, rows, &out)
          }
        }
        guard edges else { return direct(&out) }
        out.block("if c == 0 || c == \(channels - 1)") { out in
          Threading.emitPartBuffer(plan.count, context, &out) { out in
            out.line("let plane = buffer.baseAddress!")
            out.line("plane.update(repeating: 0, count: \(plan.count))")
            out.line("var copied = 0")
            emitRowBlockLoop(context, plan, blockRows, &out)
          }
        }
        out.block("else", direct)
      }
    }
  }

  /// The class's table of `count` zeros then the lane numbers `0, 1, ...` as floats: the zero
  /// row and the lane masks come from memory the optimizer cannot see into. Built from a
  /// stack buffer and literal masks instead, LLVM folded the known zeros and constant lanes and
  /// split every vector into lanes and scalar loads (MobileNetV1 28x28x256: 0.055 -> 0.138 ms).
  static func zeroTable(_ context: KernelContext, count: Int) -> String {
    let lanes = context.lanes
    guard let helpers = context.helpers else { return "depthwiseZeros" }
    return helpers.function("depthwise zeros \(count) lanes \(lanes)") { name in
      var out = SwiftEmitter()
      out.line("/// \(count) zeros then the lane numbers 0..<\(lanes) (depthwise rows and masks).")
      out.block("nonisolated(unsafe) private static let \(name): UnsafeMutablePointer<Float> =") { out in
        out.line("let table = UnsafeMutablePointer<Float>.allocate(capacity: \(count + lanes))")
        out.line("table.initialize(repeating: 0, count: \(count))")
        out.line("for i in 0..<\(lanes) { (table + \(count) + i).initialize(to: Float(i)) }")
        out.line("return table")
      }
      var text = out.text
      while text.hasSuffix("\n") { text.removeLast() }
      return text + "()"
    }
  }

  /// The padding masks the first and last column vectors need, `low<k>` (first `k` lanes) and
  /// `high<k>` (last `k` lanes).
  static func emitLaneMasks(_ context: KernelContext, _ rows: DepthwiseRows, lanes: String,
                            _ out: inout SwiftEmitter) {
    let vector = context.vectorType
    var lows = Set<Int>(), highs = Set<Int>()
    for (_, ox) in chunkPlacements(context, rows) {
      guard let ox else { continue }
      for d in rows.columns {
        let p = rows.padding(ox: ox, column: d, width: context.input.width, lanes: context.lanes)
        if p.low > 0 { lows.insert(p.low) }
        if p.high > 0 { highs.insert(p.high) }
      }
    }
    // The padding blends with zero (which a clamp defines); the shifted stride-2 columns' blends
    // (16-register targets, `emitRowsBody`) need only their masks.
    let pads = !lows.isEmpty || !highs.isEmpty
    if context.hasSixteenRegisters {
      for tap in rows.stridedTaps {
        if case .shiftedUp = tap { lows.insert(1) }
        if case .shiftedDown = tap { highs.insert(1) }
      }
    }
    if lows.isEmpty && highs.isEmpty { return }
    if pads && (DepthwiseClamp(context) ?? DepthwiseClamp.none) == DepthwiseClamp.none {
      out.line("let zero = \(vector)(repeating: 0)")
    }
    out.line("let lane = UnsafeRawPointer(\(lanes)).loadUnaligned(as: \(vector).self)")
    for k in lows.sorted() { out.line("let low\(k) = lane .< \(vector)(repeating: \(k))") }
    for k in highs.sorted() {
      out.line("let high\(k) = lane .>= \(vector)(repeating: \(context.lanes - k))")
    }
  }

  /// `r<i>`: input row `top * strideH - padTop + i` of channel `c`, or the zero row outside the
  /// plane.
  static func emitRowPointers(_ context: KernelContext, _ rows: DepthwiseRows,
                              _ out: inout SwiftEmitter) {
    let (input, output) = (context.input, context.output)
    let g = geometry(context)
    out.line("let top = min(rowBlock &* \(rows.rows), \(output.height - rows.rows))")
    out.line("let iy = top &* \(rows.strideH) &- \(g.padTop)")
    for i in rows.usedRows(g) {
      out.line("let row\(i) = iy &+ \(i)")
      out.line("let r\(i) = UInt(bitPattern: row\(i)) >= \(input.height) ? zeros : UnsafePointer(x0 + ((c &* \(input.height) &+ row\(i)) &* \(input.width)))")
    }
  }

  /// The first column vector, the middle ones in a loop, and the last (its padding masks known
  /// at generation time; `nil` placement means the loop).
  static func chunkPlacements(_ context: KernelContext, _ rows: DepthwiseRows) -> [(String, Int?)] {
    let (lanes, width) = (context.lanes, context.output.width)
    if rows.chunks == 1 { return [("0", 0)] }
    let middle = (1..<max(1, rows.chunks - 1)).map { $0 * lanes }
    let padded = middle.contains { ox in
      rows.columns.contains { rows.padding(ox: ox, column: $0, width: context.input.width, lanes: lanes) != (0, 0) }
    }
    if padded { return middle.map { ("\($0)", $0) } + [("0", 0), ("\(width - lanes)", width - lanes)] }
    var placements: [(String, Int?)] = [("0", 0)]
    if rows.chunks > 2 { placements.append(("chunk &* \(lanes)", nil)) }
    placements.append(("\(width - lanes)", width - lanes))
    return placements
  }

  static func emitChunks(_ context: KernelContext, _ rows: DepthwiseRows,
                         _ out: inout SwiftEmitter) {
    for (ox, literal) in chunkPlacements(context, rows) {
      if literal == nil {
        out.block("for chunk in 1..<\(rows.chunks - 1)") { out in
          out.line("let ox = \(ox)")
          emitRowsBody(context, rows, ox: nil, &out)
        }
      } else {
        out.block("do") { out in
          out.line("let ox = \(ox)")
          emitRowsBody(context, rows, ox: literal, &out)
        }
      }
    }
  }

  /// One column vector of the block: every input row's tap vectors built once and multiplied
  /// into each output row that reads them, then clamped and stored.
  static func emitRowsBody(_ context: KernelContext, _ rows: DepthwiseRows, ox: Int?,
                           _ out: inout SwiftEmitter) {
    let (output, lanes, vector) = (context.output, context.lanes, context.vectorType)
    let g = geometry(context)
    out.line("let q = ox &* \(rows.strideW)")
    for r in 0..<rows.rows { out.line("var acc\(r) = bias") }
    // At stride 2, the columns shifted from another (`StridedTap`), emitted after the columns
    // they come from, and those sources' indices. The same for every input row.
    let taps = rows.stridedTaps
    let shifted = taps.indices.filter { taps[$0].source != nil }
    let order = rows.columns.indices.filter { !shifted.contains($0) } + shifted
    let sources = Set(taps.compactMap { $0.source.flatMap(rows.columns.firstIndex(of:)) })
    for i in 0..<rows.inputRows {
      // Output rows r with tap row ky reading input row i: r * strideH + ky * dilationH == i.
      var readers: [(row: Int, ky: Int)] = []
      for r in 0..<rows.rows {
        for ky in 0..<g.kernelH where r * g.strideH + ky * g.dilationH == i { readers.append((r, ky)) }
      }
      if readers.isEmpty { continue }
      // Each column's vector and its multiply-adds in column order; where one column is shifted
      // from another, every vector first (the shifted one after its source), then the
      // multiply-adds in the same order.
      var loaded = Set<Int>()
      func tapValue(_ n: Int) -> String {
        let d = rows.columns[n]
        guard !taps.isEmpty else {
          return "UnsafeRawPointer(r\(i) + (\(plus("q", d)))).loadUnaligned(as: \(vector).self)"
        }
        let tap = taps[n]
        if case .half(let e, let odd) = tap {
          let pair = "\(i)_\(e < 0 ? "m\(-e)" : "\(e)")"
          if !loaded.contains(e) {
            out.line("let a\(pair) = UnsafeRawPointer(r\(i) + (\(plus("q", e)))).loadUnaligned(as: \(vector).self)")
            out.line("let b\(pair) = UnsafeRawPointer(r\(i) + (\(plus("q", e + lanes)))).loadUnaligned(as: \(vector).self)")
            loaded.insert(e)
          }
          let half = odd ? "oddHalf" : "evenHalf"
          return "\(vector)(lowHalf: a\(pair).\(half), highHalf: b\(pair).\(half))"
        }
        let source = "u\(i)_\(rows.columns.firstIndex(of: tap.source!)!)"
        if context.hasSixteenRegisters {
          // AVX2 has no two-source permute: built lane by lane, the shifted vector became
          // scalar loads and inserts of every lane. A rotation of the source (one `vpermps`)
          // and a blend of the one new value keep it in registers (the masks: `emitLaneMasks`).
          let up: Bool
          if case .shiftedUp = tap { up = true } else { up = false }
          let order = up ? [lanes - 1] + Array(0..<(lanes - 1)) : Array(1..<lanes) + [0]
          let rotated = "\(vector)(\(order.map { "\(source)[\($0)]" }.joined(separator: ", ")))"
          let value = "r\(i)[\(plus("q", up ? d : d + 2 * (lanes - 1)))]"
          return "\(rotated).replacing(with: \(vector)(repeating: \(value)), where: \(up ? "low1" : "high1"))"
        }
        if case .shiftedUp = tap {
          let lanesList = (0..<(lanes - 1)).map { "\(source)[\($0)]" }.joined(separator: ", ")
          return "\(vector)(r\(i)[\(plus("q", d))], \(lanesList))"
        }
        let lanesList = (1..<lanes).map { "\(source)[\($0)]" }.joined(separator: ", ")
        return "\(vector)(\(lanesList), r\(i)[\(plus("q", d + 2 * (lanes - 1)))])"
      }
      func emitValue(_ n: Int) {
        let d = rows.columns[n]
        var value = tapValue(n)
        if sources.contains(n) {
          // The unpadded vector, for the column shifted from this one.
          out.line("let u\(i)_\(n) = \(value)")
          value = "u\(i)_\(n)"
        }
        if let ox {
          let p = rows.padding(ox: ox, column: d, width: context.input.width, lanes: lanes)
          if p.low > 0 { value = "(\(value)).replacing(with: zero, where: low\(p.low))" }
          if p.high > 0 { value = "(\(value)).replacing(with: zero, where: high\(p.high))" }
        }
        out.line("let v\(i)_\(n) = \(value)")
      }
      func emitMultiplyAdds(_ n: Int) {
        for (r, ky) in readers {
          for kx in 0..<g.kernelW where kx * g.dilationW - g.padLeft == rows.columns[n] {
            let t = ky * g.kernelW + kx
            out.line("acc\(r) = \(context.multiplyAdd("acc\(r)", "w\(t)", "v\(i)_\(n)"))")
          }
        }
      }
      if sources.isEmpty {
        for n in rows.columns.indices {
          emitValue(n)
          emitMultiplyAdds(n)
        }
      } else {
        order.forEach(emitValue)
        rows.columns.indices.forEach(emitMultiplyAdds)
      }
    }
    let clamp = DepthwiseClamp(context) ?? .none
    out.line("let to = y + ((c &* \(output.height) &+ top) &* \(output.width) &+ ox)")
    for r in 0..<rows.rows {
      clamp.statements(clamping: "acc\(r)").forEach { out.line($0) }
      out.line("UnsafeMutableRawPointer(to + \(r * output.width)).storeBytes(of: acc\(r), as: \(vector).self)")
    }
  }

  /// `base &+ n` or `base &- |n|`.
  static func plus(_ base: String, _ n: Int) -> String {
    n < 0 ? "\(base) &- \(-n)" : "\(base) &+ \(n)"
  }
}
