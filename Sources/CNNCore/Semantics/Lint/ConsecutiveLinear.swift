/// `lint.consecutive-linear`: an fc fed by another fc with nothing non-linear between.
///
/// Two affine maps compose into one, `W2(W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)`, so the
/// pair can represent nothing a single fc cannot: usually an activation was forgotten. Dropout
/// and identity are no-ops at inference, batch norm and flatten are affine, so they do not
/// break the chain.
struct ConsecutiveLinear: LintRule {
  let id = DiagnosticID.consecutiveLinear
  let summary = "two fc layers with no activation between them"

  private static let linearInBetween: Set<LayerKind> = [.dropout, .identity, .bn, .flatten]

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let graph = LintGraph(network)
    var result: [Diagnostic] = []
    for (index, layer) in network.layers.enumerated() where layer.kind == .fc {
      let (source, between) = graph.producer(of: index, skipping: Self.linearInBetween)
      guard source != Layer.networkInput, graph.layers[source].kind == .fc,
        let inputs = network.inputShapes(of: source).first??.elementCount,
        let middle = network.shapes[source]?.channels,
        let outputs = network.shapes[index]?.channels
      else { continue }
      let first = graph.layers[source]
      var notes = [Diagnostic.Note("'\(first.name)' is here", at: first.range)]
      if !between.isEmpty {
        let names = between.reversed().map { "'\(graph.layers[$0].name)'" }.joined(separator: ", ")
        let verb = between.count == 1 ? "is" : "are"
        notes.append(Diagnostic.Note("\(names) between them \(verb) linear at inference"))
      }
      notes.append(Diagnostic.Note(
        "add an activation such as 'relu' after '\(first.name)', or merge the two into one "
          + "'fc \(outputs)'"))
      result.append(Diagnostic(
        id, "'\(layer.name)' follows '\(first.name)' with no activation between them, so "
          + "\(inputs) to \(middle) to \(outputs) values is one linear map",
        at: layer.range, label: "linear after '\(first.name)'",
        notes: notes + graph.callNotes(index)))
    }
    return result
  }
}
