/// `lint.activation-after-softmax`: an activation (or a second softmax) applied to softmax output.
///
/// Softmax yields probabilities in (0, 1) that sum to 1. On such values relu, relu6, leaky
/// relu, prelu and elu are the identity (they only change negatives or values above 6), while
/// sigmoid, tanh, swish, hswish, hsigmoid and softmax change them so they no longer sum to 1.
/// Either way the activation was meant before the softmax. Dropout and identity are looked through.
struct ActivationAfterSoftmax: LintRule {
  let id = DiagnosticID.activationAfterSoftmax
  let summary = "an activation applied to the output of softmax"

  private static let identityOnProbabilities: Set<LayerKind> = [
    .relu, .relu6, .leakyrelu, .prelu, .elu,
  ]

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let graph = LintGraph(network)
    var result: [Diagnostic] = []
    for (index, layer) in network.layers.enumerated()
    where layer.kind.isActivation || layer.kind == .softmax {
      let (source, _) = graph.producer(of: index, skipping: inferencePassThrough)
      guard source != Layer.networkInput, graph.layers[source].kind == .softmax else { continue }
      let softmax = graph.layers[source]
      let effect = Self.identityOnProbabilities.contains(layer.kind)
        ? "changes nothing: softmax outputs are already in (0, 1)"
        : "distorts its probabilities: they no longer sum to 1"
      result.append(Diagnostic(
        id, "'\(layer.name)' after softmax '\(softmax.name)' \(effect)",
        at: layer.range, label: "\(layer.kind.rawValue) on probabilities",
        notes: [Diagnostic.Note("'\(softmax.name)' is here", at: softmax.range),
                Diagnostic.Note("remove '\(layer.name)', or apply it before the softmax")]
          + graph.callNotes(index)))
    }
    return result
  }
}
