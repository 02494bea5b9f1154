/// `maxpool`, `avgpool`, `gap`, `gmp`, `adaptiveavgpool` and `spp`, with PyTorch's window rules.
///
/// Windows are clipped as ATen's pooling kernels clip them: `avgpool` counts a window as
/// `min(start + k, in + padEnd) - start` (padding included, the `ceil` overhang past the padded
/// input not) with `count_include_pad`, else only real pixels; max pooling ignores padding.
/// Adaptive bins: `start = floor(i * in / out)`, `end = ceil((i + 1) * in / out)`.
enum Pooling {
  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    switch context.layer.kind {
    case .maxpool, .avgpool: emitWindowed(context, &out)
    case .gap, .gmp: emitGlobal(context, &out)
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

  private static func emitGlobal(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let plane = input.height * input.width
    let isMax = context.layer.kind == .gmp
    out.block(forLoop("c", input.channels)) { out in
      out.line("let p = x0 + (c &* \(plane))")
      out.line(isMax ? "var m = -Float.infinity" : "var sum: Float = 0")
      out.block(forLoop("i", plane)) { out in
        if isMax {
          out.line("let e = p[i]")
          out.line("m = e > m || e.isNaN ? e : m")
        } else {
          out.line("sum += p[i]")
        }
      }
      let value = isMax ? "m" : "sum / \(Literal.float(Float(plane)))"
      context.store(value, to: "y[c]", channel: "c").forEach { out.line($0) }
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
