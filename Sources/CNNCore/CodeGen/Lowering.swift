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
    /// A two-input `add` fused into this 1x1 convolution (`fusableResidual`): the layer and the
    /// other input, whose value the kernel adds to each output before the followers.
    var residual: (add: Int, input: Int)?
  }

  var checked: CheckedNetwork
  var steps: [Step]
  /// For each layer, the step whose buffer holds its output.
  var stepOfLayer: [Int]
  /// Which outputs share memory and when storages are alive (shared with the report).
  var liveness: Liveness

  /// Groups layers into steps: a layer that `Liveness` runs in place over its single input
  /// (element-wise kinds) or makes a view of it joins the step of that input (a view is a no-op
  /// follower); everything else (an in-place `add` included) is a step of its own.
  init(_ checked: CheckedNetwork) {
    self.checked = checked
    let liveness = Liveness(checked)
    let layers = checked.layers
    var steps: [Step] = []
    var stepOfLayer = Array(repeating: 0, count: layers.count)
    for (index, layer) in layers.enumerated() {
      var shared: Int?
      switch liveness.sharing[index] {
      case .inPlace(let source) where layer.kind != .add, .view(let source): shared = source
      default: shared = nil
      }
      if let source = shared {
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
      if case .inPlace(let source) = liveness.sharing[index], layer.kind == .add,
        let other = Self.fusableResidual(layer, source: source, steps: steps, stepOfLayer: stepOfLayer, checked)
      {
        let owner = stepOfLayer[source]
        steps[owner].residual = (add: index, input: other)
        stepOfLayer[index] = owner
        continue
      }
      stepOfLayer[index] = steps.count
      steps.append(Step(layer: index))
    }
    self.steps = steps
    self.stepOfLayer = stepOfLayer
    self.liveness = liveness
  }

  /// The other input of a two-input `add` that can run in the epilogue of the 1x1 convolution
  /// producing `source` (the input it writes over), or nil. The convolution must be the step's
  /// primary layer with nothing in place after it yet (a folded bn is fine), one group, no
  /// padding, and the other input a layer output computed by an earlier step, so its value is
  /// there when the convolution stores. ResNet-50's bottleneck adds (conv3 + identity, then relu)
  /// become one pass instead of a separate read of both tensors (1.7 ms of 67 at 1 thread);
  /// projection blocks, whose shortcut conv runs after conv3, keep the `add` step.
  static func fusableResidual(_ add: Layer, source: Int, steps: [Step], stepOfLayer: [Int],
                              _ checked: CheckedNetwork) -> Int? {
    guard add.inputs.count == 2, source >= 0, let other = add.inputs.first(where: { $0 != source }),
      other >= 0
    else { return nil }
    let owner = stepOfLayer[source]
    let step = steps[owner]
    let conv = checked.layers[step.layer]
    guard conv.kind == .conv, step.followers.isEmpty, step.residual == nil,
      stepOfLayer[other] < owner, let window = checked.windows[step.layer],
      (conv.attributes ?? LayerAttributes()).groups == 1,
      window.kernel == Dims(1, 1), window.padding == .zero, window.dilation == Dims(1, 1)
    else { return nil }
    return other
  }

  /// The tensors a step's function reads, in parameter order (`x0`, `x1`, …): its layer's
  /// inputs, then a fused residual's other input.
  func inputs(of step: Step) -> [Int] {
    checked.layers[step.layer].inputs + (step.residual.map { [$0.input] } ?? [])
  }

  /// Whether `layer` (an input of a `concat`) was written straight into the concat's slice.
  func isConcatSlice(_ layer: Int) -> Bool {
    layer >= 0 && liveness.isConcatSlice[layer]
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
