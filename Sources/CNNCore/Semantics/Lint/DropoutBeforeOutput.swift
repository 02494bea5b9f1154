/// `lint.dropout-before-output`: a network output that is a dropout layer.
///
/// Dropout regularises the weights of the layer after it; with nothing after it, it does
/// nothing at inference and in training only zeroes predictions at random (and rescales the
/// rest). It usually means the last `fc` was deleted, or the dropout was meant before it.
/// Identity layers between the dropout and the output are looked through.
struct DropoutBeforeOutput: LintRule {
  let id = DiagnosticID.dropoutBeforeOutput
  let summary = "dropout as the last layer of an output"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let graph = LintGraph(network)
    var result: [Diagnostic] = []
    for output in network.network.outputs {
      var index = output
      while graph.layers[index].kind == .identity, graph.layers[index].inputs.count == 1,
        graph.layers[index].inputs[0] != Layer.networkInput {
        index = graph.layers[index].inputs[0]
      }
      guard graph.layers[index].kind == .dropout else { continue }
      let layer = graph.layers[index]
      let named = index == output ? "" : " '\(graph.layers[output].name)'"
      result.append(Diagnostic(
        id, "'\(layer.name)' ends the output\(named): dropout only has an effect before a layer "
          + "with weights, so here it does nothing at inference and drops predictions in training",
        at: layer.range, label: "dropout at the end",
        notes: [Diagnostic.Note("remove it, or move it before the last 'fc'")]
          + graph.callNotes(index)))
    }
    return result
  }
}
