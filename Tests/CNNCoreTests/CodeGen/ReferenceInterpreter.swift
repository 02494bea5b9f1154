import CNNCore
import Foundation

/// A deliberately naive forward pass (plain loops, Double sums, C,H,W arrays) that the generated
/// code is compared with. It shares nothing with the code generator but the checked network.
struct ReferenceInterpreter {
  let checked: CheckedNetwork
  let tensors: [String: [Float]]

  typealias Tensor = [Double]

  func run(_ input: [Float]) -> [[Float]] {
    var values: [Tensor] = []
    let start = input.map(Double.init)
    for (index, layer) in checked.layers.enumerated() {
      let inputs = layer.inputs.map { $0 == Layer.networkInput ? start : values[$0] }
      let shapes = checked.inputShapes(of: index).map { $0! }
      values.append(evaluate(index, layer, inputs, shapes))
    }
    return checked.network.outputs.map { values[$0].map(Float.init) }
  }

  private func param(_ name: String) -> [Double] { (tensors[name] ?? []).map(Double.init) }

  private func weights(_ layer: Layer) -> [Double] {
    layer.attributes?.constantWeights.map { $0.map(Double.init) } ?? param(layer.name + ".weight")
  }

  private func bias(_ layer: Layer, _ count: Int) -> [Double] {
    let attributes = layer.attributes!
    if let constant = attributes.constantBias { return constant.map(Double.init) }
    if attributes.constantWeights != nil || !attributes.hasBias { return Array(repeating: 0, count: count) }
    return param(layer.name + ".bias")
  }

  private func evaluate(_ index: Int, _ layer: Layer, _ inputs: [Tensor], _ shapes: [Shape]) -> Tensor {
    let x = inputs[0]
    let s = shapes[0]
    let out = checked.shapes[index]!
    let a = layer.attributes!
    let plane = s.height * s.width
    func at(_ c: Int, _ y: Int, _ xx: Int) -> Double { x[(c * s.height + y) * s.width + xx] }
    switch layer.kind {
    case .conv, .dwconv:
      let w = checked.windows[index]!
      let groups = layer.kind == .dwconv ? s.channels : a.groups
      let icg = s.channels / groups, ocg = out.channels / groups
      let wt = weights(layer), b = bias(layer, out.channels)
      var y = Tensor(repeating: 0, count: out.elementCount!)
      for o in 0..<out.channels {
        let g = o / ocg
        for oy in 0..<out.height {
          for ox in 0..<out.width {
            var sum = b[o]
            for i in 0..<icg {
              for ky in 0..<w.kernel.height {
                for kx in 0..<w.kernel.width {
                  let iy = oy * w.stride.height - w.padding.top + ky * w.dilation.height
                  let ix = ox * w.stride.width - w.padding.left + kx * w.dilation.width
                  guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                  sum += wt[((o * icg + i) * w.kernel.height + ky) * w.kernel.width + kx] * at(g * icg + i, iy, ix)
                }
              }
            }
            y[(o * out.height + oy) * out.width + ox] = sum
          }
        }
      }
      return y
    case .deconv:
      let w = checked.windows[index]!
      let icg = s.channels / a.groups, ocg = out.channels / a.groups
      let wt = weights(layer), b = bias(layer, out.channels)
      var y = Tensor(repeating: 0, count: out.elementCount!)
      for o in 0..<out.channels { for p in 0..<(out.height * out.width) { y[o * out.height * out.width + p] = b[o] } }
      for i in 0..<s.channels {
        let g = i / icg
        for oo in 0..<ocg {
          let o = g * ocg + oo
          for iy in 0..<s.height { for ix in 0..<s.width {
            for ky in 0..<w.kernel.height { for kx in 0..<w.kernel.width {
              let oy = iy * w.stride.height - w.padding.top + ky * w.dilation.height
              let ox = ix * w.stride.width - w.padding.left + kx * w.dilation.width
              guard oy >= 0, oy < out.height, ox >= 0, ox < out.width else { continue }
              y[(o * out.height + oy) * out.width + ox] +=
                wt[((i * ocg + oo) * w.kernel.height + ky) * w.kernel.width + kx] * at(i, iy, ix)
            } }
          } }
        }
      }
      return y
    case .fc:
      let n = x.count
      let wt = weights(layer), b = bias(layer, out.channels)
      return (0..<out.channels).map { o in (0..<n).reduce(b[o]) { $0 + wt[o * n + $1] * x[$1] } }
    case .flatten:
      var y = Tensor()
      switch a.order {
      case .chw: return x
      case .hwc:
        for yy in 0..<s.height { for xx in 0..<s.width { for c in 0..<s.channels { y.append(at(c, yy, xx)) } } }
      case .whc:
        for xx in 0..<s.width { for yy in 0..<s.height { for c in 0..<s.channels { y.append(at(c, yy, xx)) } } }
      }
      return y
    case .maxpool, .avgpool:
      let w = checked.windows[index]!
      var y = Tensor()
      for c in 0..<s.channels { for oy in 0..<out.height { for ox in 0..<out.width {
        let top = oy * w.stride.height - w.padding.top, left = ox * w.stride.width - w.padding.left
        if layer.kind == .maxpool {
          var m = -Double.infinity
          for ky in 0..<w.kernel.height { for kx in 0..<w.kernel.width {
            let iy = top + ky * w.dilation.height, ix = left + kx * w.dilation.width
            if iy >= 0, iy < s.height, ix >= 0, ix < s.width { m = max(m, at(c, iy, ix)) }
          } }
          y.append(m)
        } else {
          // PyTorch: the window is clipped to the padded input for the divisor, then to the input.
          let bottom = min(top + w.kernel.height, s.height + w.padding.bottom)
          let right = min(left + w.kernel.width, s.width + w.padding.right)
          var sum = 0.0, real = 0
          for iy in top..<bottom { for ix in left..<right where iy >= 0 && iy < s.height && ix >= 0 && ix < s.width {
            sum += at(c, iy, ix); real += 1
          } }
          let divisor = a.countIncludePad ? (bottom - top) * (right - left) : real
          y.append(sum / Double(divisor))
        }
      } } }
      return y
    case .gap: return (0..<s.channels).map { c in x[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Double(plane) }
    case .gmp: return (0..<s.channels).map { c in x[(c * plane)..<((c + 1) * plane)].max()! }
    case .adaptiveavgpool: return adaptive(x, s, out.height, out.width, max: false)
    case .spp: return a.grid.flatMap { adaptive(x, s, $0, $0, max: true) }
    case .bn:
      let p = layer.name
      let (g, bb, m, v) = (param(p + ".weight"), param(p + ".bias"), param(p + ".running_mean"), param(p + ".running_var"))
      return x.indices.map { i in
        let c = i / plane
        return (x[i] - m[c]) / (v[c] + a.epsilon).squareRoot() * g[c] + bb[c]
      }
    case .lrn:
      let n = a.count!
      return x.indices.map { i in
        let c = i / plane, p = i % plane
        var sum = 0.0
        for cc in max(0, c - n / 2)...min(s.channels - 1, c + (n - 1) / 2) { sum += x[cc * plane + p] * x[cc * plane + p] }
        return x[i] / pow(a.k + a.alpha / Double(n) * sum, a.beta)
      }
    case .dropout, .identity: return x
    case .relu: return x.map { max($0, 0) }
    case .relu6: return x.map { min(max($0, 0), 6) }
    case .leakyrelu: return x.map { $0 > 0 ? $0 : $0 * (a.real ?? 0.01) }
    case .prelu:
      let slope = param(layer.name + ".weight")
      return x.indices.map { x[$0] > 0 ? x[$0] : x[$0] * slope[$0 / plane] }
    case .elu: return x.map { $0 > 0 ? $0 : (a.real ?? 1) * (exp($0) - 1) }
    case .sigmoid: return x.map { 1 / (1 + exp(-$0)) }
    case .tanh: return x.map { Foundation.tanh($0) }
    case .swish: return x.map { $0 / (1 + exp(-$0)) }
    case .hswish: return x.map { $0 * min(max($0 + 3, 0), 6) / 6 }
    case .hsigmoid: return x.map { min(max($0 + 3, 0), 6) / 6 }
    case .softmax:
      var y = x
      for p in 0..<plane {
        let column = (0..<s.channels).map { x[$0 * plane + p] }
        let m = column.max()!
        let total = column.reduce(0) { $0 + exp($1 - m) }
        for c in 0..<s.channels { y[c * plane + p] = exp(column[c] - m) / total }
      }
      return y
    case .upsample:
      var y = Tensor()
      for c in 0..<s.channels { for oy in 0..<out.height { for ox in 0..<out.width {
        y.append(at(c, oy * s.height / out.height, ox * s.width / out.width))
      } } }
      return y
    case .zeropad:
      let p = a.insets
      var y = Tensor()
      for c in 0..<s.channels { for oy in 0..<out.height { for ox in 0..<out.width {
        let iy = oy - p.top, ix = ox - p.left
        y.append(iy >= 0 && iy < s.height && ix >= 0 && ix < s.width ? at(c, iy, ix) : 0)
      } } }
      return y
    case .concat: return inputs.flatMap { $0 }
    case .add: return x.indices.map { i in inputs.reduce(0) { $0 + $1[i] } }
    }
  }

  private func adaptive(_ x: Tensor, _ s: Shape, _ rows: Int, _ columns: Int, max isMax: Bool) -> Tensor {
    var y = Tensor()
    for c in 0..<s.channels { for oy in 0..<rows { for ox in 0..<columns {
      let y0 = oy * s.height / rows, y1 = ((oy + 1) * s.height + rows - 1) / rows
      let x0 = ox * s.width / columns, x1 = ((ox + 1) * s.width + columns - 1) / columns
      var values: [Double] = []
      for iy in y0..<y1 { for ix in x0..<x1 { values.append(x[(c * s.height + iy) * s.width + ix]) } }
      y.append(isMax ? values.max()! : values.reduce(0, +) / Double(values.count))
    } } }
    return y
  }
}
