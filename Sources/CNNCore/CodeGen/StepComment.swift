/// The comment that opens each step's function: the spec line, then the resolved geometry
/// (onnx2c's node header), then what was folded or fused into the step.
enum StepComment {
  static func lines(_ step: LoweredNetwork.Step, context: KernelContext, source: SourceFile) -> [String] {
    let lowered = context.lowered
    let layer = context.layer
    let line = source.location(of: layer.range.start).line
    let text = source.text(layer.range).split(separator: "\n").first.map(String.init) ?? ""
    var result = ["\(layer.name): \(text)   (line \(line))"]
    let inputs = context.inputShapes.map(\.description).joined(separator: " + ")
    var geometry = "\(layer.kind.rawValue) \(inputs) -> \(context.output)"
    if let window = context.window {
      let pad = window.padding
      geometry += ", kernel \(window.kernel) stride \(window.stride) pad \(pad.top),\(pad.left),\(pad.bottom),\(pad.right)"
      if window.dilation != Dims(1, 1) { geometry += " dilation \(window.dilation)" }
    }
    if layer.kind == .conv || layer.kind == .deconv, context.attributes.groups > 1 {
      geometry += " groups \(context.attributes.groups)"
    }
    result.append(geometry + " (shapes HxWxC)")
    if let bn = step.foldedNorm {
      result.append("folded: \(lowered.checked.layers[bn].name) (bn)")
    }
    if let residual = step.residual {
      let add = lowered.checked.layers[residual.add]
      let input = lowered.checked.layers[residual.input]
      result.append("fused: \(add.name) (add): + \(input.name), in the store")
    }
    if !step.followers.isEmpty {
      let names = step.followers.map { "\(lowered.checked.layers[$0].name) (\(lowered.checked.layers[$0].kind.rawValue))" }
      result.append("in place: " + names.joined(separator: ", "))
    }
    return result
  }
}
