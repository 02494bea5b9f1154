/// Layers that move values rather than compute them (`flatten`, `upsample`, `zeropad`,
/// `concat`), plus `add` and `lrn`, which combine neighbours.
enum Shaping {
  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    switch context.layer.kind {
    case .flatten: emitFlatten(context, &out)
    case .upsample: emitUpsample(context, &out)
    case .zeropad: emitZeroPad(context, &out)
    case .concat: emitConcat(context, &out)
    case .add: emitAdd(context, &out)
    case .lrn: emitLocalResponse(context, &out)
    default: preconditionFailure("unreachable: not a shaping layer")
    }
  }

  /// `order=hwc` / `whc` (first letter slowest): a permuted copy of the C,H,W activations.
  private static func emitFlatten(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let (h, w, c) = (input.height, input.width, input.channels)
    switch context.attributes.order {
    case .chw:
      Elementwise.emitCopy(context, &out)
      return
    case .hwc:
      out.block(forLoop("c", c)) { out in
        out.block(forLoop("iy", h)) { out in
          out.block(forLoop("ix", w)) { out in
            out.line("y[(iy &* \(w) &+ ix) &* \(c) &+ c] = x0[(c &* \(h) &+ iy) &* \(w) &+ ix]")
          }
        }
      }
    case .whc:
      out.block(forLoop("c", c)) { out in
        out.block(forLoop("iy", h)) { out in
          out.block(forLoop("ix", w)) { out in
            out.line("y[(ix &* \(h) &+ iy) &* \(c) &+ c] = x0[(c &* \(h) &+ iy) &* \(w) &+ ix]")
          }
        }
      }
    }
    Elementwise.emitPasses(context.step.followers, context, &out)
  }

  /// Nearest neighbour: `y[c, oy, ox] = x[c, oy / fh, ox / fw]`.
  private static func emitUpsample(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let output = context.output
    let fh = output.height / input.height
    let fw = output.width / input.width
    out.block(forLoop("c", output.channels)) { out in
      out.block(forLoop("oy", output.height)) { out in
        out.line("let from = x0 + ((c &* \(input.height) &+ oy / \(fh)) &* \(input.width))")
        out.line("let to = y + ((c &* \(output.height) &+ oy) &* \(output.width))")
        out.block(forLoop("ox", output.width)) { out in
          context.store("from[ox / \(fw)]", to: "to[ox]", channel: "c").forEach { out.line($0) }
        }
      }
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }

  private static func emitZeroPad(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let output = context.output
    let pad = context.attributes.insets
    out.line("y.update(repeating: 0, count: \(output.elementCount ?? 0))")
    out.block(forLoop("c", input.channels)) { out in
      out.block(forLoop("row", input.height)) { out in
        out.line("let to = y + ((c &* \(output.height) &+ row &+ \(pad.top)) &* \(output.width) &+ \(pad.left))")
        out.line("to.update(from: x0 + ((c &* \(input.height) &+ row) &* \(input.width)), count: \(input.width))")
      }
    }
    Elementwise.emitPasses(context.step.followers, context, &out)
  }

  /// Along channels: in C,H,W layout each branch is one contiguous block of the output. Branches
  /// that `Liveness` placed in their slice were written there by their own step (zero-copy);
  /// only the others are copied.
  private static func emitConcat(_ context: KernelContext, _ out: inout SwiftEmitter) {
    var offset = 0
    for (branch, shape) in context.inputShapes.enumerated() {
      let count = shape.elementCount ?? 0
      if !context.lowered.isConcatSlice(context.layer.inputs[branch]) {
        out.line("(y + \(offset)).update(from: x\(branch), count: \(count))")
      }
      offset += count
    }
    Elementwise.emitPasses(context.step.followers, context, &out)
  }

  private static func emitAdd(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let output = context.output
    let plane = output.height * output.width
    let sum = context.inputShapes.indices.map { "x\($0)[i]" }.joined(separator: " + ")
    // Memory-bound like a copy: a value counts as 8 multiply-adds per input toward the split
    // (ResNet-50's 56² x 256 adds ran on one thread at 2 threads, ~1.1x).
    let parallel = Threading.worthSplitting(work: 8 * context.inputShapes.count * output.channels * plane,
                                            iterations: output.channels)
    Threading.emitLoop("c", output.channels, parallel: parallel, &out) { out in
      out.block(forLoop("j", plane)) { out in
        out.line("let i = c &* \(plane) &+ j")
        context.store(sum, to: "y[i]", channel: "c").forEach { out.line($0) }
      }
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }

  /// PyTorch `LocalResponseNorm`: `b_c = a_c / (k + alpha / n * sum_{c'} a_{c'}^2)^beta` over
  /// `c' = c - n/2 ... c + (n-1)/2`, channels outside the tensor counting as zero.
  ///
  /// Channels whose window lies inside the tensor (all but n - 1 of them) sum it unrolled, so the
  /// loop over pixels vectorizes; `beta = 0.75` (AlexNet, ZFNet) is `sqrt(s) * sqrt(sqrt(s))`
  /// rather than a `pow` call per value.
  private static func emitLocalResponse(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let shape = context.output
    let plane = shape.height * shape.width
    let size = context.attributes.count ?? 5
    let attributes = context.attributes
    let (before, after) = (size / 2, (size - 1) / 2)
    let k = Literal.float(attributes.k), alphaOverN = Literal.float(attributes.alpha / Double(size))
    // From the window's `sum` to the stored value, the same in both loops below.
    let normalize = { (out: inout SwiftEmitter) in
      out.line("let scale: Float = \(k) + \(alphaOverN) * sum")
      if attributes.beta == 0.75 {
        out.line("let root = scale.squareRoot()")
        out.line("let power = root * root.squareRoot()")
      } else {
        out.line("let power = pow(scale, \(Literal.float(attributes.beta)))")
      }
      context.store("x[i] / power", to: "o[i]", channel: "c").forEach { out.line($0) }
    }
    // `pow` or two square roots and a window of squares: a value counts as 30 + 2·size toward
    // the split between threads.
    let parallel = Threading.worthSplitting(work: (30 + 2 * size) * shape.channels * plane,
                                            iterations: shape.channels)
    Threading.emitLoop("c", shape.channels, parallel: parallel, &out) { out in
      out.line("let first = max(c &- \(before), 0)")
      out.line("let last = min(c &+ \(after), \(shape.channels - 1))")
      out.line("let x = x0 + c &* \(plane)")
      out.line("let o = y + c &* \(plane)")
      out.block("if last &- first == \(size - 1)") { out in
        out.line("let window = x0 + first &* \(plane)")
        out.block(forLoop("i", plane)) { out in
          let terms = (0..<size).map { "window[\($0 * plane) &+ i] * window[\($0 * plane) &+ i]" }
          out.line("let sum: Float = " + terms.joined(separator: " + "))
          normalize(&out)
        }
      }
      out.block("else") { out in
        out.block(forLoop("i", plane)) { out in
          out.line("var sum: Float = 0")
          out.block("for n in first...last") { out in
            out.line("let e = x0[n &* \(plane) &+ i]")
            out.line("sum += e * e")
          }
          normalize(&out)
        }
      }
    }
    Elementwise.emitPasses(context.passFollowers, context, &out)
  }
}
