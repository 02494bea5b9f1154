/// Parameter counts per layer, by the contract's formulas, for the rules that weigh layers.
///
/// conv `out * (in/groups) * kh * kw + out`, deconv `in * (out/groups) * kh * kw + out`,
/// fc `out * in + out` (no `+ out` without bias), bn `2 * C`, prelu `C`. Kept here rather than
/// shared with the report so lint does not depend on it (names prefixed `lint` to keep clear
/// of the report's own API); the numbers are the same.
/// Nil on overflow: the rules then stay silent rather than guess.
extension CheckedNetwork {
  func lintParameterCount(of index: Int) -> Int? {
    let layer = layers[index]
    guard let attributes = layer.attributes, let output = shapes[index],
      let input = inputShapes(of: index).first ?? nil
    else { return 0 }
    let bias = attributes.hasBias ? output.channels : 0
    switch layer.kind {
    case .conv, .dwconv, .deconv:
      let kernel = windows[index]?.kernel ?? attributes.kernel ?? .square(1)
      let groups = layer.kind == .dwconv ? input.channels : attributes.groups
      let perGroup = layer.kind == .deconv ? output.channels : input.channels
      let across = layer.kind == .deconv ? input.channels : output.channels
      guard groups > 0,
        let weights = checkedProduct([across, perGroup / groups, kernel.height, kernel.width])
      else { return nil }
      return checkedSum([weights, bias])
    case .fc:
      guard let inputs = input.elementCount, let weights = checkedProduct([inputs, output.channels])
      else { return nil }
      return checkedSum([weights, bias])
    case .bn: return checkedProduct([2, output.channels])
    case .prelu: return output.channels
    default: return 0
    }
  }

  /// The whole network's parameter count, or nil on overflow.
  var lintTotalParameters: Int? {
    var counts: [Int] = []
    for index in layers.indices {
      guard let count = lintParameterCount(of: index) else { return nil }
      counts.append(count)
    }
    return checkedSum(counts)
  }

}
