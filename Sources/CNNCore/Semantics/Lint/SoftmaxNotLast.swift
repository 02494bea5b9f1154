/// `lint.softmax-not-last`: a softmax whose probabilities feed more layers.
///
/// Softmax turns the final scores into probabilities; layers after it work on values squeezed
/// into (0, 1) whose gradients vanish, and losses such as cross-entropy expect the scores
/// (logits) instead. Dropout, identity and flatten after it are looked through; an activation
/// after it is `lint.activation-after-softmax`'s case; a `concat` that is itself an output
/// (joining heads, as detectors do) is allowed.
struct SoftmaxNotLast: LintRule {
  let id = DiagnosticID.softmaxNotLast
  let summary = "a softmax whose output feeds further layers"

  private static let shapeOnly: Set<LayerKind> = [.identity, .dropout, .flatten]

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let graph = LintGraph(network)
    var result: [Diagnostic] = []
    for (index, layer) in network.layers.enumerated() where layer.kind == .softmax {
      let readers = graph.readers(of: index, through: Self.shapeOnly).filter { reader in
        let kind = graph.layers[reader].kind
        let joinsHeads = kind == .concat && graph.outputs.contains(reader)
        let passThrough = Self.shapeOnly.contains(kind)
        return !(kind.isActivation || kind == .softmax || joinsHeads || passThrough)
      }
      guard let first = readers.first else { continue }
      let reader = graph.layers[first]
      let more = readers.count > 1 ? " (and \(readers.count - 1) more)" : ""
      result.append(Diagnostic(
        id, "softmax '\(layer.name)' is not at the end of the network: '\(reader.name)'\(more) "
          + "reads its probabilities",
        at: layer.range, label: "read by '\(reader.name)'",
        notes: [Diagnostic.Note("'\(reader.name)' is here", at: reader.range),
                Diagnostic.Note("move the softmax after '\(reader.name)', or remove it and let "
                  + "the loss apply it")]
          + graph.callNotes(index)))
    }
    return result
  }
}
