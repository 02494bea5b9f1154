/// `lint.unused-definition`: a `def` that the network never calls.
///
/// Reachability starts from the body, so a definition called only from other unused
/// definitions is reported too (with the callers named): its code is as dead as theirs.
/// An unused `def` is usually a block that was renamed or a call that was deleted.
struct UnusedDefinition: LintRule {
  let id = DiagnosticID.unusedDefinition
  let summary = "a def that is never called"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let bodies = Dictionary(syntax.definitions.map { ($0.name.text, $0.body) },
                            uniquingKeysWith: { first, _ in first })
    var reached = Set<String>()
    var pending = Expander.calls(in: syntax.body).map(\.name.text)
    while let name = pending.popLast() {
      guard reached.insert(name).inserted, let body = bodies[name] else { continue }
      pending += Expander.calls(in: body).map(\.name.text)
    }
    return syntax.definitions.filter { !reached.contains($0.name.text) }.map { definition in
      let callers = syntax.definitions.filter { caller in
        Expander.calls(in: caller.body).contains { $0.name.text == definition.name.text }
      }
      let name = definition.name.text
      guard !callers.isEmpty else {
        return Diagnostic(id, "'\(name)' is defined but never called", at: definition.name.range,
                          label: "never called")
      }
      let list = callers.map { "'\($0.name.text)'" }.joined(separator: ", ")
      return Diagnostic(
        id, "'\(name)' is only called from \(list), which the network never calls",
        at: definition.name.range, label: "never called",
        notes: callers.map {
          Diagnostic.Note("'\($0.name.text)' is defined here", at: $0.name.range)
        })
    }
  }
}
