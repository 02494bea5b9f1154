/// `deconv` (PyTorch `ConvTranspose2d`): every input pixel scatters `w * x` into the output.
///
/// `y[oc, iy*s - padTop + ky*d, ix*s - padLeft + kx*d] += x[ic, iy, ix] * w[ic, oc%og, ky, kx]`;
/// writes that land in the cropped border are skipped, and `outpad` only enlarges the output.
/// Weights stay in PyTorch's `[in, out/groups, kh, kw]` order, bias `[out]` after them.
enum Deconvolution {
  static func emit(_ context: KernelContext, _ out: inout SwiftEmitter) {
    let input = context.input
    let output = context.output
    let window = context.window ?? Window(kernel: .square(1), stride: .square(1), padding: .zero,
                                          dilation: .square(1))
    let groups = context.attributes.groups
    let inPerGroup = input.channels / groups
    let outPerGroup = output.channels / groups
    let kernel = window.kernel
    let taps = kernel.height * kernel.width
    let biasOffset = context.weightOffset + input.channels * outPerGroup * taps
    let plane = output.height * output.width
    out.block(forLoop("c", output.channels)) { out in
      out.line("(y + (c &* \(plane))).update(repeating: weights[\(biasOffset) &+ c], count: \(plane))")
    }
    out.block(forLoop("ic", input.channels)) { out in
      out.line("let group = ic / \(inPerGroup)")
      out.line("let plane = x0 + (ic &* \(input.height * input.width))")
      out.block(forLoop("oc", outPerGroup)) { out in
        out.line("let target = y + ((group &* \(outPerGroup) &+ oc) &* \(plane))")
        out.line("let kernel = weights + (\(context.weightOffset) &+ (ic &* \(outPerGroup) &+ oc) &* \(taps))")
        out.block(forLoop("ky", kernel.height)) { out in
          out.block(forLoop("kx", kernel.width)) { out in
            out.line("let wk = kernel[ky &* \(kernel.width) &+ kx]")
            out.block(forLoop("iy", input.height)) { out in
              out.line("let oy = iy &* \(window.stride.height) &- \(window.padding.top) &+ ky &* \(window.dilation.height)")
              out.line("if oy < 0 || oy >= \(output.height) { continue }")
              out.block(forLoop("ix", input.width)) { out in
                out.line("let ox = ix &* \(window.stride.width) &- \(window.padding.left) &+ kx &* \(window.dilation.width)")
                out.line("if ox < 0 || ox >= \(output.width) { continue }")
                out.line("target[oy &* \(output.width) &+ ox] += wk * plane[iy &* \(input.width) &+ ix]")
              }
            }
          }
        }
      }
    }
    Elementwise.emitPasses(context.step.followers, context, &out)
  }
}
