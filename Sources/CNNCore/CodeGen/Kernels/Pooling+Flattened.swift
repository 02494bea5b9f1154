/// Max/avg pooling over a flattened, padded (and for stride 2, phase-split) copy of each plane:
/// every window tap is one SIMD load at a literal offset (`Pooling.emitFlattened`). The layer
/// dispatch and the row-buffer kernel are in `Pooling.swift`.

/// The geometry of the flattened-plane kernel (`Pooling.emitFlattened`), or nil when the step
/// keeps the row-buffer kernel: dilation, a stride other than 1x1 or 2x2, stride 2 on inputs
/// wider than 32 (there the row-buffer kernel's even/odd lane picks fill whole vectors and skip
/// the copy), more than 49 taps, or an `avgpool` whose divisor is not the same for every window.
///
/// The padded input `P[r][c]` (padding and the `ceil` overhang filled with `-inf` for max, 0 for
/// average) is split by stride `s` into phase planes `Q[py][px][r][c] = P[r*s + py][c*s + px]`
/// (one plane at stride 1) with row stride `phaseWidth`; output `(oy, ox)` is computed at flat
/// index `oy * phaseWidth + ox`, so that tap `(ky, kx)` is a stride-1 read at the literal offset
/// `offset(ky, kx)` and one SIMD vector covers the end of a row and the start of the next (the
/// `(kw - 1) / s` extra columns per row are dropped on copy-out). Small planes (GoogLeNet's 7x7
/// and 14x14 pools) thus fill whole vectors. Long planes run in bands of output rows so that the
/// buffer stays in L1.
struct PlanePlan {
  var kernel: (height: Int, width: Int)
  var stride: Int
  var padTop: Int, padLeft: Int
  var input: (height: Int, width: Int)
  var output: (height: Int, width: Int)
  var bandRows: Int
  /// Floats of the padded band the band size aims for (32 KB of a 48 KB L1d).
  static let budget = 8 * 1024

  init?(_ context: KernelContext) {
    guard let window = context.window, window.dilation == Dims(1, 1) else { return nil }
    let (kh, kw) = (window.kernel.height, window.kernel.width)
    let s = window.stride.height
    guard window.stride == Dims(s, s), s == 1 || (s == 2 && context.input.width <= 32) else { return nil }
    guard kh >= 1, kw >= 1, kh * kw <= 49 else { return nil }
    kernel = (kh, kw)
    stride = s
    padTop = window.padding.top
    padLeft = window.padding.left
    input = (context.input.height, context.input.width)
    output = (context.output.height, context.output.width)
    bandRows = output.height
    if context.layer.kind == .avgpool {
      let include = context.attributes.countIncludePad
      let pad = window.padding
      guard Self.uniform(output.height, kh, s, pad.top, pad.bottom, input.height, include),
            Self.uniform(output.width, kw, s, pad.left, pad.right, input.width, include) else { return nil }
    }
    let rowsInBudget = max(1, Self.budget / (s * s * phaseWidth) - extraRows)
    let bands = (output.height + rowsInBudget - 1) / rowsInBudget
    bandRows = (output.height + bands - 1) / bands
  }

  /// Whether every window along one axis counts `kernel` elements under ATen's average rule.
  private static func uniform(_ count: Int, _ kernel: Int, _ stride: Int, _ padBegin: Int, _ padEnd: Int,
                              _ size: Int, _ includePad: Bool) -> Bool {
    (0..<count).allSatisfy { index in
      let start = index * stride - padBegin
      let end = min(start + kernel, size + padEnd)
      return includePad ? end - start == kernel : min(end, size) - max(start, 0) == kernel
    }
  }

  var phases: Int { stride * stride }
  /// Phase rows beyond a band's output rows that its taps read.
  var extraRows: Int { (kernel.height - 1) / stride }
  /// Columns of a phase row: the output columns plus the taps' reach.
  var phaseWidth: Int { output.width + (kernel.width - 1) / stride }
  var phaseSize: Int { (bandRows + extraRows) * phaseWidth }
  var bands: Int { (output.height + bandRows - 1) / bandRows }
  var lastBandRows: Int { output.height - (bands - 1) * bandRows }
  /// Input columns some window reads (floor mode may leave the last ones unread).
  var copyWidth: Int { min(input.width, (output.width - 1) * stride + kernel.width - padLeft) }
  /// Whether the flattened grid is the output itself (no column is dropped).
  var direct: Bool { phaseWidth == output.width }

  /// Float offset of tap `(ky, kx)` from output 0 of the buffer.
  func offset(_ ky: Int, _ kx: Int) -> Int {
    let phase = (ky % stride) * stride + kx % stride
    return phase * phaseSize + (ky / stride) * phaseWidth + kx / stride
  }
}

extension Pooling {
  /// Max/avg pooling at stride 1 over the flattened padded plane (`PlanePlan`): per channel and
  /// band, copy the input rows into the `-inf`/0-bordered buffer, reduce the `kh*kw` taps with
  /// one SIMD load each at literal offsets, and copy the rows out. The buffer's border is filled
  /// once per block of channels; rows outside the input are refilled per band. Max pooling uses
  /// `vmaxps`-style selects unless the band's input holds a NaN (or an infinity), then the
  /// NaN-propagating compare (ATen: a NaN in the window is the result).
  static func emitFlattened(_ context: KernelContext, _ plan: PlanePlan, _ out: inout SwiftEmitter) {
    let isMax = context.layer.kind == .maxpool
    let parallel = Threading.worthSplitting(work: splitWork(context), iterations: context.input.channels)
    let vector = vectorWidth(plan.lastBandRows * plan.phaseWidth, lanes: context.lanes) ?? 1
    let bufferFloats = plan.phases * plan.phaseSize + vector + plan.phaseWidth
    let temporary = plan.direct ? 0 : plan.bandRows * plan.phaseWidth + vector
    let fill = isMax ? "-Float.infinity" : "0"
    let (h, w) = plan.input
    let (oh, ow) = plan.output
    // Channels in blocks of 8 (one buffer fill per block) when threaded, else one block.
    let channels = context.input.channels
    let group = parallel ? 8 : channels
    Threading.emitPartLoop("block", (channels + group - 1) / group, parallel: parallel, &out) { out in
      out.line("let firstChannel = block &* \(group), endChannel = min(firstChannel &+ \(group), \(channels))")
      Threading.emitPartBuffer(bufferFloats + temporary, context, &out) { out in
        out.line("let q = buffer.baseAddress!")
        if temporary > 0 { out.line("let t = q + \(bufferFloats)") }
        out.line("q.initialize(repeating: \(fill), count: \(bufferFloats + temporary))")
        out.block("for c in firstChannel..<endChannel") { out in
          out.line("let plane = x0 + (c &* \(h * w))")
          out.line("let o = y + (c &* \(oh * ow))")
          let body: (inout SwiftEmitter) -> Void = { out in
            emitBandCopy(plan, isMax: isMax, lanes: context.lanes, fill: fill, &out)
            if isMax {
              out.block("if nan") { out in emitTaps(plan, vector: vector, combine: .nanMax, &out) }
              out.block("else") { out in emitTaps(plan, vector: vector, combine: .max, &out) }
            } else {
              emitTaps(plan, vector: vector, combine: .sum(1 / Float(plan.kernel.height * plan.kernel.width)), &out)
            }
            if !plan.direct { emitCopyOut(plan, lanes: context.lanes, &out) }
          }
          if plan.bands == 1 {
            out.block("do") { out in
              out.line("let oy0 = 0, rows = \(oh)")
              body(&out)
            }
          } else {
            out.block(forLoop("band", plan.bands)) { out in
              out.line("let oy0 = band &* \(plan.bandRows), rows = min(\(plan.bandRows), \(oh) &- oy0)")
              body(&out)
            }
          }
        }
      }
    }
  }

  private enum Combine {
    case max, nanMax, sum(Float)
  }

  /// The tap loop over `rows * phaseWidth` flattened outputs: into `t`, or straight into the
  /// output when no column is dropped (then the last vector overlaps the one before).
  private static func emitTaps(_ plan: PlanePlan, vector: Int, combine: Combine, _ out: inout SwiftEmitter) {
    let type = vector == 1 ? "Float" : "SIMD\(vector)<Float>"
    let count = "rows &* \(plan.phaseWidth)"
    out.block("for k in 0..<((\(count) &+ \(vector - 1)) / \(vector))") { out in
      out.line(plan.direct && vector > 1 ? "let i = min(k &* \(vector), \(count) &- \(vector))" : "let i = k &* \(vector)")
      out.line("let p = q + i")
      for ky in 0..<plan.kernel.height {
        for kx in 0..<plan.kernel.width {
          let value = "UnsafeRawPointer(p + \(plan.offset(ky, kx))).loadUnaligned(as: \(type).self)"
          if ky == 0 && kx == 0 {
            out.line("var m = \(value)")
            continue
          }
          let e = "e\(ky)_\(kx)"
          out.line("let \(e) = \(value)")
          switch combine {
          case .max where vector == 1: out.line("m = \(e) > m ? \(e) : m")
          case .max: out.line("m = m.replacing(with: \(e), where: \(e) .> m)")
          case .nanMax where vector == 1: out.line("m = \(e) > m || \(e).isNaN ? \(e) : m")
          case .nanMax: out.line(nanMax("m", e))
          case .sum: out.line("m += \(e)")
          }
        }
      }
      if case .sum(let scale) = combine { out.line("m *= \(Literal.float(scale))") }
      let target = plan.direct ? "o + (oy0 &* \(plan.output.width) &+ i)" : "t + i"
      out.line("UnsafeMutableRawPointer(\(target)).storeBytes(of: m, as: \(type).self)")
    }
  }

  /// Copies the band's input rows into the padded buffer; rows outside the input are refilled.
  /// For max pooling, sets `nan` when a copied value is NaN.
  private static func emitBandCopy(_ plan: PlanePlan, isMax: Bool, lanes: Int, fill: String,
                                   _ out: inout SwiftEmitter) {
    let s = plan.stride
    if isMax { out.line("var nan = false") }
    out.block("for r in 0..<(rows &+ \(plan.extraRows))") { out in
      out.line("let d = q + (r &* \(plan.phaseWidth))")
      for py in 0..<s {
        let shift = py - plan.padTop
        let row = "(oy0 &+ r)" + (s == 1 ? "" : " &* \(s)") + (shift < 0 ? " &- \(-shift)" : shift > 0 ? " &+ \(shift)" : "")
        out.line("let iy\(py) = \(row)")
        out.block("if iy\(py) >= 0 && iy\(py) < \(plan.input.height)") { out in
          out.line("let s = plane + (iy\(py) &* \(plan.input.width))")
          if s == 1 {
            out.line("let d0 = d + \(plan.padLeft)")
            emitContiguousCopy(plan.copyWidth, from: "s", to: "d0", lanes: lanes, checkNaN: isMax, &out)
          } else {
            emitDeinterleavingCopy(plan, py: py, lanes: lanes, checkNaN: isMax, &out)
          }
        }
        out.block("else") { out in
          for px in 0..<s {
            out.line("(d + \(plan.offset(py, px))).update(repeating: \(fill), count: \(plan.phaseWidth))")
          }
        }
      }
    }
  }

  /// `count` contiguous floats from `source` to `target`: SIMD with an overlapping last vector,
  /// scalar below 4 floats; with `checkNaN`, sets `nan` when a value is NaN.
  /// Note: `x * 0` is NaN exactly for NaN and infinite x, so `bad` flags every NaN; an infinity
  /// only sends the band to the slower NaN-propagating loop.
  private static func emitContiguousCopy(_ count: Int, from source: String, to target: String, lanes: Int,
                                         checkNaN: Bool, _ out: inout SwiftEmitter) {
    guard let width = vectorWidth(count, lanes: lanes) else {
      for index in 0..<count {
        out.line("let v\(index) = \(source)[\(index)]")
        out.line("\(target)[\(index)] = v\(index)")
        if checkNaN { out.line("if v\(index).isNaN { nan = true }") }
      }
      return
    }
    let type = "SIMD\(width)<Float>"
    if checkNaN { out.line("var bad = \(type)()") }
    func chunk(_ offset: String, _ out: inout SwiftEmitter) {
      out.line("let v = UnsafeRawPointer(\(source) + \(offset)).loadUnaligned(as: \(type).self)")
      out.line("UnsafeMutableRawPointer(\(target) + \(offset)).storeBytes(of: v, as: \(type).self)")
      if checkNaN { out.line("bad += v * 0") }
    }
    let full = count / width
    if full == 1 {
      out.block("do") { out in chunk("0", &out) }
    } else {
      out.block(forLoop("k", full)) { out in chunk("(k &* \(width))", &out) }
    }
    if count % width != 0 { out.block("do") { out in chunk("\(count - width)", &out) } }
    if checkNaN { out.line("if any(bad .!= bad) { nan = true }") }
  }

  /// One input row into the two column phases of row phase `py`: two vectors whose even lanes go
  /// to one phase and odd lanes to the other, picked with literal lanes (one `vpermt2ps`;
  /// `evenHalf` compiles to a lane-by-lane gather); scalar below 8 floats and for an odd last column.
  private static func emitDeinterleavingCopy(_ plan: PlanePlan, py: Int, lanes: Int, checkNaN: Bool,
                                             _ out: inout SwiftEmitter) {
    let count = plan.copyWidth
    let padLeft = plan.padLeft
    func scalar(_ ic: Int, _ out: inout SwiftEmitter) {
      let column = ic + padLeft
      out.line("let v\(ic) = s[\(ic)]")
      out.line("d[\(plan.offset(py, column % 2) + column / 2)] = v\(ic)")
      if checkNaN { out.line("if v\(ic).isNaN { nan = true }") }
    }
    guard let half = vectorWidth(count / 2, lanes: lanes) else {
      for ic in 0..<count { scalar(ic, &out) }
      return
    }
    let type = "SIMD\(half)<Float>"
    // Input column a (even) is padded column a + padLeft: phase padLeft % 2 at column
    // (a + padLeft) / 2; column a + 1 is the other phase at (a + padLeft + 1) / 2.
    out.line("let even = d + \(plan.offset(py, padLeft % 2) + padLeft / 2)")
    out.line("let odd = d + \(plan.offset(py, (padLeft + 1) % 2) + (padLeft + 1) / 2)")
    if checkNaN { out.line("var bad = \(type)()") }
    func pick(_ parity: Int) -> String {
      let picks = (0..<half).map { lane -> String in
        let index = 2 * lane + parity
        return index < half ? "a[\(index)]" : "b[\(index - half)]"
      }
      return "\(type)(\(picks.joined(separator: ", ")))"
    }
    func chunk(_ a: String, _ halfOffset: String, _ out: inout SwiftEmitter) {
      out.line("let a = UnsafeRawPointer(s + \(a)).loadUnaligned(as: \(type).self)")
      out.line("let b = UnsafeRawPointer(s + \(a) + \(half)).loadUnaligned(as: \(type).self)")
      out.line("UnsafeMutableRawPointer(even + \(halfOffset)).storeBytes(of: \(pick(0)), as: \(type).self)")
      out.line("UnsafeMutableRawPointer(odd + \(halfOffset)).storeBytes(of: \(pick(1)), as: \(type).self)")
      if checkNaN { out.line("bad += (a + b) * 0") }
    }
    let full = count / (2 * half)
    if full == 1 {
      out.block("do") { out in chunk("0", "0", &out) }
    } else {
      out.block(forLoop("k", full)) { out in chunk("(k &* \(2 * half))", "(k &* \(half))", &out) }
    }
    var covered = full * 2 * half
    if covered < count - 1 {
      let a = (count - 2 * half) / 2 * 2
      out.block("do") { out in chunk("\(a)", "\(a / 2)", &out) }
      covered = a + 2 * half
    }
    if checkNaN { out.line("if any(bad .!= bad) { nan = true }") }
    for ic in covered..<count { scalar(ic, &out) }
  }

  /// The band's output rows from the flattened grid `t` (row stride `phaseWidth`) to the plane.
  private static func emitCopyOut(_ plan: PlanePlan, lanes: Int, _ out: inout SwiftEmitter) {
    out.block("for r in 0..<rows") { out in
      out.line("let s = t + (r &* \(plan.phaseWidth))")
      out.line("let d = o + ((oy0 &+ r) &* \(plan.output.width))")
      emitContiguousCopy(plan.output.width, from: "s", to: "d", lanes: lanes, checkNaN: false, &out)
    }
  }
}
