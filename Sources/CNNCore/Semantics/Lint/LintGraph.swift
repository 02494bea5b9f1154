/// The data-flow facts several lint rules share: who reads each layer, which layers are
/// outputs, and how to step over layers that do not change values at inference.
struct LintGraph {
  let network: CheckedNetwork
  /// `consumers[i]`: the layers that read layer `i`, in execution order.
  let consumers: [[Int]]
  /// The layers that read the network input.
  let inputConsumers: [Int]
  let outputs: Set<Int>

  init(_ network: CheckedNetwork) {
    self.network = network
    var consumers = Array(repeating: [Int](), count: network.layers.count)
    var inputConsumers: [Int] = []
    for (index, layer) in network.layers.enumerated() {
      for input in Set(layer.inputs) {
        if input == Layer.networkInput {
          inputConsumers.append(index)
        } else {
          consumers[input].append(index)
        }
      }
    }
    self.consumers = consumers
    self.inputConsumers = inputConsumers
    self.outputs = Set(network.network.outputs)
  }

  var layers: [Layer] { network.layers }

  /// The readers of a layer, or of the network input for `Layer.networkInput`.
  func readers(of index: Int) -> [Int] {
    index == Layer.networkInput ? inputConsumers : consumers[index]
  }

  /// Steps backwards from `index` over single-input layers of `kinds` and returns the first
  /// layer of another kind (or `Layer.networkInput`), with the layers stepped over.
  func producer(of index: Int, skipping kinds: Set<LayerKind>) -> (index: Int, skipped: [Int]) {
    var skipped: [Int] = []
    var current = layers[index].inputs.count == 1 ? layers[index].inputs[0] : Layer.networkInput
    while current != Layer.networkInput, kinds.contains(layers[current].kind),
      layers[current].inputs.count == 1 {
      skipped.append(current)
      current = layers[current].inputs[0]
    }
    return (current, skipped)
  }

  /// The first readers of `index` that are not of `kinds`, looking through layers that are;
  /// a pass-through layer that is itself an output counts as a reader.
  func readers(of index: Int, through kinds: Set<LayerKind>) -> [Int] {
    var result: [Int] = []
    var pending = consumers[index]
    var seen = Set<Int>()
    while let next = pending.popLast() {
      guard seen.insert(next).inserted else { continue }
      if kinds.contains(layers[next].kind) && !outputs.contains(next) {
        pending += consumers[next]
      } else {
        result.append(next)
      }
    }
    return result.sorted()
  }

  /// "in this call" notes for a layer expanded from a `def`, as the checker adds them.
  func callNotes(_ index: Int) -> [Diagnostic.Note] {
    layers[index].callSites.prefix(1).map { Diagnostic.Note("in this call", at: $0) }
  }
}

/// Layers that leave values unchanged at inference: dropout is off, identity is a no-op.
let inferencePassThrough: Set<LayerKind> = [.identity, .dropout]

extension Int {
  /// `138,357,544`: parameter counts are hard to read without separators.
  var grouped: String {
    let digits = String(magnitude)
    var result = ""
    for (offset, digit) in digits.enumerated() {
      if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
      result.append(digit)
    }
    return self < 0 ? "-" + result : result
  }
}
