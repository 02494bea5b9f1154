/// The checked network as the generated code runs it: a list of steps, each one kernel.
///
/// A step runs one "primary" layer and then, on the same buffer, the layers that can run in place
/// after it (`followers`). A `bn` that directly follows a `conv`/`dwconv`/`fc` whose output nothing
/// else reads is folded into that layer's weights at load time (`foldedNorm`).
struct LoweredNetwork {
  struct Step {
    /// The layer whose kernel this step runs.
    var layer: Int
    /// The batch norm folded into `layer`'s weights and bias.
    var foldedNorm: Int?
    /// In-place layers applied to the output afterwards, in execution order.
    var followers: [Int] = []
  }

  var checked: CheckedNetwork
  var steps: [Step]
  /// For each layer, the step whose buffer holds its output.
  var stepOfLayer: [Int]

  /// Kinds that can overwrite their input: element-wise, per-pixel or pure reshapes.
  static func runsInPlace(_ layer: Layer) -> Bool {
    switch layer.kind {
    case .bn, .dropout, .identity, .softmax: return true
    case .flatten: return layer.attributes?.order == .chw
    default: return layer.kind.isActivation
    }
  }

  /// Groups layers into steps: a layer joins the step of its single input when it can run in
  /// place and that input is a layer output read by nothing else and not a network output.
  init(_ checked: CheckedNetwork) {
    self.checked = checked
    let layers = checked.layers
    var readers = Array(repeating: 0, count: layers.count)
    for layer in layers {
      for input in layer.inputs where input >= 0 { readers[input] += 1 }
    }
    let outputs = Set(checked.network.outputs)
    var steps: [Step] = []
    var stepOfLayer = Array(repeating: 0, count: layers.count)
    for (index, layer) in layers.enumerated() {
      if Self.runsInPlace(layer), layer.inputs.count == 1, let source = layer.inputs.first,
        source >= 0, readers[source] == 1, !outputs.contains(source)
      {
        let owner = stepOfLayer[source]
        let step = steps[owner]
        let foldable: Set<LayerKind> = [.conv, .dwconv, .fc]
        if layer.kind == .bn, step.layer == source, step.foldedNorm == nil, step.followers.isEmpty,
          foldable.contains(layers[source].kind)
        {
          steps[owner].foldedNorm = index
        } else {
          steps[owner].followers.append(index)
        }
        stepOfLayer[index] = owner
        continue
      }
      stepOfLayer[index] = steps.count
      steps.append(Step(layer: index))
    }
    self.steps = steps
    self.stepOfLayer = stepOfLayer
  }

  /// Step index that holds the tensor a layer reads (`nil` for the network input).
  func step(holding input: Int) -> Int? {
    input == Layer.networkInput ? nil : stepOfLayer[input]
  }

  func shape(_ layer: Int) -> Shape {
    guard let shape = checked.shapes[layer] else {
      preconditionFailure("unreachable: code generation runs only on error-free networks")
    }
    return shape
  }

  func inputShape(_ layer: Int) -> Shape {
    let input = checked.layers[layer].inputs.first ?? Layer.networkInput
    return input == Layer.networkInput ? checked.network.input : shape(input)
  }

  func attributes(_ layer: Int) -> LayerAttributes {
    checked.layers[layer].attributes ?? LayerAttributes()
  }
}
