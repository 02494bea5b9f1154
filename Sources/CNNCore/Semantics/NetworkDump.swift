/// A plain-text dump of an expanded, checked network: one line per layer with its composed
/// name, kind, inputs and output shape. Golden tests pin expansion and naming with it.
extension CheckedNetwork {
  public func dump() -> String {
    var lines = ["input \(network.input)"]
    for (index, layer) in layers.enumerated() {
      let inputs = layer.inputs.map { $0 == Layer.networkInput ? "input" : layers[$0].name }
      let shape = shapes[index].map(\.description) ?? "?"
      lines.append("\(layer.name) = \(layer.kind.rawValue)(\(inputs.joined(separator: ", "))) -> \(shape)")
    }
    lines.append("outputs " + network.outputs.map { layers[$0].name }.joined(separator: ", "))
    return lines.joined(separator: "\n") + "\n"
  }
}
