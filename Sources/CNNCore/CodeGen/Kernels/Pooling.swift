/// `maxpool`, `avgpool`, `gap`, `gmp`, `adaptiveavgpool` and `spp`, with PyTorch's window rules.
///
/// Windows are clipped as ATen's pooling kernels clip them: `avgpool` counts a window as
/// `min(start + k, in + padEnd) - start` (padding included, the `ceil` overhang past the padded
/// input not) with `count_include_pad`, else only real pixels; max pooling ignores padding.
/// Adaptive bins: `start = floor(i * in / out)`, `end = ceil((i + 1) * in / out)`.
enum Pooling {
  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    switch context.layer.kind {
    case .maxpool, .avgpool:
      if let plan = PlanePlan(context) {
        emitFlattened(context, plan, &out)
        Elementwise.emitPasses(context.step.followers, context, &out)
        return
      }
      if context.window?.dilation == Dims(1, 1) {
        emitSeparable(context, &out)
        Elementwise.emitPasses(context.step.followers, context, &out)
        return
      }
      emitWindowed(context, &out)
    case .gap, .gmp: emitGlobal(context, &out)
    case .adaptiveavgpool where context.output.height == 1 && context.output.width == 1:
      emitGlobal(context, &out)
    case .adaptiveavgpool:
      let size = context.output
      emitAdaptive(context, levels: [(size.height, size.width, 0)], max: false, &out)
    case .spp:
      var levels: [(Int, Int, Int)] = []
      var offset = 0
      for n in context.attributes.grid {
        levels.append((n, n, offset))
        offset += context.input.channels * n * n
      }
      emitAdaptive(context, levels: levels, max: true, &out)
    default: preconditionFailure("unreachable: not a pooling layer")
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }

  private static func emitWindowed(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let output = context.output
    guard let window = context.window else { preconditionFailure("unreachable: pool without window") }
    let isMax = context.layer.kind == .maxpool
    let pad = window.padding
    out.block(forLoop("c", input.channels)) { out in
      out.line("let plane = x0 + (c &* \(input.height * input.width))")
      out.line("let o = y + (c &* \(output.height * output.width))")
      out.block(forLoop("oy", output.height)) { out in
        out.line("let top = oy &* \(window.stride.height) &- \(pad.top)")
        out.block(forLoop("ox", output.width)) { out in
          out.line("let left = ox &* \(window.stride.width) &- \(pad.left)")
          if isMax {
            out.line("var m = -Float.infinity")
            out.block(forLoop("ky", window.kernel.height)) { out in
              out.line("let iy = top &+ ky &* \(window.dilation.height)")
              out.line("if iy < 0 || iy >= \(input.height) { continue }")
              out.block(forLoop("kx", window.kernel.width)) { out in
                out.line("let ix = left &+ kx &* \(window.dilation.width)")
                out.line("if ix < 0 || ix >= \(input.width) { continue }")
                out.line("let e = plane[iy &* \(input.width) &+ ix]")
                out.line("m = e > m || e.isNaN ? e : m")
              }
            }
            context.store("m", to: "o[oy &* \(output.width) &+ ox]", channel: "c").forEach { out.line($0) }
          } else {
            out.line("let bottom = min(top &+ \(window.kernel.height), \(input.height + pad.bottom))")
            out.line("let right = min(left &+ \(window.kernel.width), \(input.width + pad.right))")
            if context.attributes.countIncludePad {
              out.line("let padded = (bottom &- top) &* (right &- left)")
            }
            out.line("let row0 = max(top, 0), row1 = min(bottom, \(input.height))")
            out.line("let col0 = max(left, 0), col1 = min(right, \(input.width))")
            out.line("var sum: Float = 0")
            out.block("for iy in row0..<row1") { out in
              out.block("for ix in col0..<col1") { out in
                out.line("sum += plane[iy &* \(input.width) &+ ix]")
              }
            }
            let divisor = context.attributes.countIncludePad ? "padded" : "(row1 &- row0) &* (col1 &- col0)"
            context.store("sum / Float(\(divisor))", to: "o[oy &* \(output.width) &+ ox]", channel: "c")
              .forEach { out.line($0) }
          }
        }
      }
    }
  }

  /// One value per channel: SIMD accumulators over the contiguous plane, then the lanes.
  private static func emitGlobal(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let plane = input.height * input.width
    let isMax = context.layer.kind == .gmp
    let vector = context.vectorType
    let lanes = context.lanes
    let chunks = plane / lanes
    out.block(forLoop("c", input.channels)) { out in
      out.line("let p = x0 + (c &* \(plane))")
      if chunks > 0 {
        out.line(isMax ? "var vm = \(vector)(repeating: -Float.infinity)" : "var vs = \(vector)()")
        out.block(forLoop("k", chunks)) { out in
          out.line("let e = UnsafeRawPointer(p + (k &* \(lanes))).loadUnaligned(as: \(vector).self)")
          out.line(isMax ? nanMax("vm", "e") : "vs += e")
        }
        // `sum` changes only where a remainder follows the whole vectors.
        out.line(isMax ? "var m = vm.max()" : "\(plane % lanes > 0 ? "var" : "let") sum = vs.sum()")
        if isMax {
          out.block(forLoop("l", lanes)) { out in out.line("if vm[l].isNaN { m = vm[l] }") }
        }
      } else {
        out.line(isMax ? "var m = -Float.infinity" : "var sum: Float = 0")
      }
      if plane % lanes > 0 {
        out.block("for i in \(chunks * lanes)..<\(plane)") { out in
          if isMax {
            out.line("let e = p[i]")
            out.line("m = e > m || e.isNaN ? e : m")
          } else {
            out.line("sum += p[i]")
          }
        }
      }
      let value = isMax ? "m" : "sum / \(Literal.float(Float(plane)))"
      context.store(value, to: "y[c]", channel: "c").forEach { out.line($0) }
    }
  }

  /// Max/avg pooling without dilation, one output row at a time: the window's rows are reduced
  /// into a row buffer with SIMD over the contiguous width, then each output reduces `kw`
  /// neighbours of the buffer (SIMD over outputs at stride 1); short rows are reduced across
  /// three rows after they were reduced down (`LaggedRows`). Columns whose window leaves the
  /// input are written by a clipped scalar loop; interior ones have literal offsets. Windows are
  /// clipped as ATen clips them (see the type comment). Channels run on several threads when
  /// the step is large (`Threading`).
  private static func emitSeparable(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let output = context.output
    guard let window = context.window else { preconditionFailure("unreachable: pool without window") }
    let isMax = context.layer.kind == .maxpool
    let includePad = context.attributes.countIncludePad
    let (kh, kw) = (window.kernel.height, window.kernel.width)
    let (sh, sw) = (window.stride.height, window.stride.width)
    let pad = window.padding
    let (h, w) = (input.height, input.width)
    let lanes = context.lanes
    let parallel = Threading.worthSplitting(work: splitWork(context), iterations: input.channels)
    let lagged = LaggedRows(width: w, outputRows: output.height)
    // Output columns whose window lies inside [0, w): literal offsets, no clipping.
    let firstInterior = min((pad.left + sw - 1) / sw, output.width)
    let lastInterior = w - kw + pad.left >= 0 ? min((w - kw + pad.left) / sw + 1, output.width) : 0
    let interior = firstInterior..<max(firstInterior, lastInterior)
    func combine(_ target: String, _ value: String) -> String {
      isMax ? nanMax(target, value) : "\(target) += \(value)"
    }
    func combineScalar(_ target: String, _ value: String) -> String {
      isMax ? "\(target) = \(value) > \(target) || \(value).isNaN ? \(value) : \(target)" : "\(target) += \(value)"
    }
    func load(_ pointer: String, _ type: String) -> String { "UnsafeRawPointer(\(pointer)).loadUnaligned(as: \(type).self)" }
    func store(_ value: String, _ pointer: String, _ type: String) -> String {
      "UnsafeMutableRawPointer(\(pointer)).storeBytes(of: \(value), as: \(type).self)"
    }
    Threading.emitPartLoop("c", input.channels, parallel: parallel, &out) { out in
      out.line("let plane = x0 + (c &* \(h * w))")
      out.line("let o = y + (c &* \(output.height * output.width))")
      Threading.emitPartBuffer(lagged.rows * lagged.stride, context, &out) { out in
        let lag = lagged.lag
        // Down the window's rows into `row`; the last vector may overlap the one before.
        func reduceDown(_ out: inout SwiftEmitter) {
          out.line("let top = oy &* \(sh) &- \(pad.top)")
          out.line("let r0 = max(top, 0), r1 = min(top &+ \(kh), \(h))")
          out.line("let first = plane + (r0 &* \(w))")
          if let width = vectorWidth(w, lanes: lanes) {
            let type = "SIMD\(width)<Float>"
            out.block(forLoop("k", (w + width - 1) / width)) { out in
              out.line(w % width == 0 ? "let ix = k &* \(width)" : "let ix = min(k &* \(width), \(w - width))")
              out.line("var m = \(load("first + ix", type))")
              out.block("for iy in (r0 &+ 1)..<r1") { out in
                out.line("let e = \(load("plane + (iy &* \(w) &+ ix)", type))")
                out.line(combine("m", "e"))
              }
              out.line(store("m", "row + ix", type))
            }
          } else {
            out.block(forLoop("ix", w)) { out in
              out.line("var m = first[ix]")
              out.block("for iy in (r0 &+ 1)..<r1") { out in
                out.line("let e = plane[iy &* \(w) &+ ix]")
                out.line(combineScalar("m", "e"))
              }
              out.line("row[ix] = m")
            }
          }
        }
        // Across `row` into output row `oy`; `top`, `r0` and `r1` in scope unless `lagging`.
        func reduceAcross(lagging: Bool, _ out: inout SwiftEmitter) {
          if lagging && !isMax {
            out.line("let top = oy &* \(sh) &- \(pad.top)")
            if !includePad { out.line("let r0 = max(top, 0), r1 = min(top &+ \(kh), \(h))") }
          }
          let rowCount = includePad ? "(min(top &+ \(kh), \(h + pad.bottom)) &- top)" : "(r1 &- r0)"
          if !isMax { out.line("let rows = \(rowCount)") }
          out.line("let out = o + (oy &* \(output.width))")
          emitBorderColumns(context, Array(0..<interior.lowerBound) + Array(interior.upperBound..<output.width),
                            window: window, width: w, &out)
          guard !interior.isEmpty else { return }
          if !isMax { out.line("let scale = 1 / Float(rows &* \(kw))") }
          if sw == 1, let width = vectorWidth(interior.count, lanes: lanes) {
            let type = "SIMD\(width)<Float>"
            let count = interior.count
            out.block(forLoop("k", (count + width - 1) / width)) { out in
              out.line(count % width == 0 ? "let ox = \(interior.lowerBound) &+ k &* \(width)"
                       : "let ox = \(interior.lowerBound) &+ min(k &* \(width), \(count - width))")
              out.line("let q = row + (ox &- \(pad.left))")
              out.line("var m = \(load("q", type))")
              for kx in 1..<max(kw, 1) {
                out.line("let e\(kx) = \(load("q + \(kx)", type))")
                out.line(combine("m", "e\(kx)"))
              }
              out.line(store(isMax ? "m" : "m * scale", "out + ox", type))
            }
          } else if sw == 2, kw >= 2, let width = vectorWidth(interior.count, lanes: lanes) {
            emitStrideTwoColumns(interior, width: width, kw: kw, padLeft: pad.left, isMax: isMax, &out)
          } else {
            emitScalarColumns(interior.lowerBound, interior.upperBound, kw: kw, stride: sw, padLeft: pad.left,
                              isMax: isMax, &out)
          }
        }
        guard lag > 0 else {
          out.line("let row = buffer.baseAddress!")
          out.block(forLoop("oy", output.height)) { out in
            reduceDown(&out)
            reduceAcross(lagging: false, &out)
          }
          return
        }
        out.line("let band = buffer.baseAddress!")
        out.block(forLoop("step", output.height + lag)) { out in
          out.block("if step < \(output.height)") { out in
            out.line("let oy = step")
            out.line("let row = band + (oy & \(lag)) &* \(lagged.stride)")
            reduceDown(&out)
          }
          // Across the row reduced `lag` steps before (`LaggedRows`).
          out.block("if step >= \(lag)") { out in
            out.line("let oy = step &- \(lag)")
            out.line("let row = band + (oy & \(lag)) &* \(lagged.stride)")
            reduceAcross(lagging: true, &out)
          }
        }
      }
    }
  }

  /// A max/avg pooling step's work for `Threading.worthSplitting`, in multiply-add equivalents:
  /// 4 per window tap. At 1 thread on Zen 4, SqueezeNet 1.1's 55² → 27² pool (0.84 M taps)
  /// took 43 µs and its 27² → 13² pool (0.39 M taps) 32 µs, against ~20 µs per million
  /// multiply-adds; counted as 1 each they stayed on one thread, and at 2 threads ran slower
  /// than at 1, half their input in the other core's cache.
  static func splitWork(_ context: KernelContext) -> Int {
    guard let window = context.window else { return 0 }
    return 4 * window.kernel.height * window.kernel.width * (context.output.elementCount ?? 0)
  }

  /// The row buffer of `emitSeparable`: where rows are short, the window's rows of output
  /// row `oy` are reduced into one of four buffer rows while output row `oy - 3` is reduced
  /// across from another, so that the loads across a row come three rows' work after the
  /// stores that wrote it.
  ///
  /// Reduced across right after it was written (`lag` 0), a short row's loads at odd offsets
  /// (the taps after the first) straddled vector stores still in flight: no store-to-load
  /// forwarding, each such load waiting for the stores to reach L1. Microbenchmarks of single
  /// pools (ms per call, input in L2/L3, then cycled through 8 copies from L3/DRAM):
  /// SqueezeNet 1.1's 55² → 27² pool of 128 channels 0.064 / 0.071 at lag 0, 0.041 / 0.046 at
  /// lag 3 (0.042 / 0.054 with the whole plane reduced first, 0.053 / 0.055 reducing each
  /// row's taps before the rows straight from the input). On wide rows the lag won with the
  /// input hot and lost with it cold, and in networks (interleaved profiles, 1 thread) the
  /// whole-plane variant lost: ResNet-50's 112² pool 0.155 → 0.205 ms, VGG-16's 112² x 128
  /// pool 0.42 → 0.55; so rows wider than 64 floats keep lag 0.
  struct LaggedRows {
    /// Floats per buffer row: the input width rounded up to whole cache lines.
    var stride: Int
    /// Buffer rows: the lag plus one (1 or 4).
    var rows: Int

    init(width: Int, outputRows: Int) {
      stride = (width + 15) / 16 * 16
      rows = width <= 64 && outputRows >= 4 ? 4 : 1
    }

    /// Output rows between reducing a row down and reducing it across (0 or 3).
    var lag: Int { rows - 1 }
  }

  /// `target = max(target, value)` lane by lane for SIMD vectors, a NaN in either winning as
  /// in ATen's `val > max || isnan(val)`. Written as "`value` is not ≤ `target`, where `target`
  /// is not NaN", which LLVM lowers on AVX-512 to an ordered compare, a compare masked by it
  /// and a masked move, one instruction fewer than the `||` form (two compares, a mask or, a
  /// blend). Where `target` is NaN it stays; where only `value` is, `value` is taken. SqueezeNet
  /// 1.1's 111² → 55² max pool 0.121 → 0.110 ms at 1 thread (interleaved profiles).
  static func nanMax(_ target: String, _ value: String) -> String {
    "\(target) = \(target).replacing(with: \(value), where: .!(\(value) .<= \(target)) .& (\(target) .== \(target)))"
  }

  /// The widest SIMD vector (at most `lanes`, at least 4) that fits in `count` floats.
  static func vectorWidth(_ count: Int, lanes: Int) -> Int? {
    var width = lanes
    while width > count { width /= 2 }
    return width >= 4 ? width : nil
  }

  /// Interior output columns at stride 2, a SIMD vector of outputs at a time from the row buffer:
  /// two loads per start column, tap `kx` the even (`kx` even) or odd lanes of a start picked with
  /// literal lanes (one `vpermt2ps`; `evenHalf` compiles to a lane-by-lane gather). Starts are
  /// chosen so that no load reads past the window's last column: even `kx < kw - 1` at `kx`,
  /// every other tap the odd lanes at `kx - 1`. The last vector overlaps the one before.
  private static func emitStrideTwoColumns(_ interior: Range<Int>, width: Int, kw: Int, padLeft: Int, isMax: Bool,
                                           _ out: inout SwiftEmitter) {
    let type = "SIMD\(width)<Float>"
    let count = interior.count
    let taps = (0..<kw).map { kx in kx % 2 == 0 && kx < kw - 1 ? (start: kx, parity: 0) : (start: kx - 1, parity: 1) }
    out.block(forLoop("k", (count + width - 1) / width)) { out in
      out.line(count % width == 0 ? "let ox = \(interior.lowerBound) &+ k &* \(width)"
               : "let ox = \(interior.lowerBound) &+ min(k &* \(width), \(count - width))")
      out.line("let q = row + (ox &* 2" + (padLeft > 0 ? " &- \(padLeft))" : ")"))
      for start in Set(taps.map(\.start)).sorted() {
        out.line("let a\(start) = UnsafeRawPointer(q + \(start)).loadUnaligned(as: \(type).self)")
        out.line("let b\(start) = UnsafeRawPointer(q + \(start + width)).loadUnaligned(as: \(type).self)")
      }
      for (kx, tap) in taps.enumerated() {
        let picks = (0..<width).map { lane -> String in
          let index = 2 * lane + tap.parity
          return index < width ? "a\(tap.start)[\(index)]" : "b\(tap.start)[\(index - width)]"
        }
        let value = "\(type)(\(picks.joined(separator: ", ")))"
        if kx == 0 {
          out.line("var m = \(value)")
        } else {
          out.line("let e\(kx) = \(value)")
          out.line(isMax ? nanMax("m", "e\(kx)") : "m += e\(kx)")
        }
      }
      out.line("UnsafeMutableRawPointer(out + ox).storeBytes(of: \(isMax ? "m" : "m * scale"), as: \(type).self)")
    }
  }

  /// Interior output columns `from..<to`, one at a time, window offsets unrolled.
  private static func emitScalarColumns(_ from: Int, _ to: Int, kw: Int, stride: Int, padLeft: Int, isMax: Bool,
                                        _ out: inout SwiftEmitter) {
    out.block("for ox in \(from)..<\(to)") { out in
      out.line("let q = row + (ox &* \(stride) &- \(padLeft))")
      out.line("var m = q[0]")
      for kx in 1..<max(kw, 1) {
        out.line("let e\(kx) = q[\(kx)]")
        out.line(isMax ? "m = e\(kx) > m || e\(kx).isNaN ? e\(kx) : m" : "m += e\(kx)")
      }
      out.line(isMax ? "out[ox] = m" : "out[ox] = m * scale")
    }
  }

  /// Output columns whose window is clipped by the input's left or right edge.
  private static func emitBorderColumns(_ context: KernelContext, _ columns: [Int], window: Window, width w: Int,
                                        _ out: inout SwiftEmitter) {
    let isMax = context.layer.kind == .maxpool
    let includePad = context.attributes.countIncludePad
    for ox in columns {
      let left = ox * window.stride.width - window.padding.left
      let c0 = max(left, 0)
      let c1 = min(left + window.kernel.width, w)
      let padded = min(left + window.kernel.width, w + window.padding.right) - left
      out.block("do") { out in
        out.line(isMax ? "var m = -Float.infinity" : "var m: Float = 0")
        for ix in c0..<max(c0, c1) {
          out.line("let e\(ix - c0) = row[\(ix)]")
          out.line(isMax ? "m = e\(ix - c0) > m || e\(ix - c0).isNaN ? e\(ix - c0) : m" : "m += e\(ix - c0)")
        }
        if isMax {
          out.line("out[\(ox)] = m")
        } else {
          let columns = includePad ? padded : c1 - c0
          out.line("out[\(ox)] = m / Float(rows &* \(columns))")
        }
      }
    }
  }

  /// Adaptive pooling to each `(rows, columns, offset)` level; the output of a level is
  /// `[C][rows][columns]` at `offset` (one level for `adaptiveavgpool`, several for `spp`).
  private static func emitAdaptive(_ context: KernelContext, levels: [(Int, Int, Int)], max isMax: Bool,
                                   _ out: inout SwiftEmitter) {
    let input = context.input
    for (rows, columns, offset) in levels {
      out.block(forLoop("c", input.channels)) { out in
        out.line("let plane = x0 + (c &* \(input.height * input.width))")
        out.line("let o = y + (\(offset) &+ c &* \(rows * columns))")
        out.block(forLoop("oy", rows)) { out in
          out.line("let row0 = (oy &* \(input.height)) / \(rows)")
          out.line("let row1 = ((oy &+ 1) &* \(input.height) &+ \(rows - 1)) / \(rows)")
          out.block(forLoop("ox", columns)) { out in
            out.line("let col0 = (ox &* \(input.width)) / \(columns)")
            out.line("let col1 = ((ox &+ 1) &* \(input.width) &+ \(columns - 1)) / \(columns)")
            out.line(isMax ? "var m = -Float.infinity" : "var sum: Float = 0")
            out.block("for iy in row0..<row1") { out in
              out.block("for ix in col0..<col1") { out in
                out.line("let e = plane[iy &* \(input.width) &+ ix]")
                out.line(isMax ? "m = e > m || e.isNaN ? e : m" : "sum += e")
              }
            }
            let value = isMax ? "m" : "sum / Float((row1 &- row0) &* (col1 &- col0))"
            let flat = "\(offset) &+ c &* \(rows * columns) &+ oy &* \(columns) &+ ox"
            let channel = context.layer.kind == .spp ? flat : "c"
            context.store(value, to: "o[oy &* \(columns) &+ ox]", channel: channel).forEach { out.line($0) }
          }
        }
      }
    }
  }
}
