/// `lint.unused-label`: a label on a call or `repeat` that is never read and names nothing.
///
/// Labels do two jobs: `@label` and `output @label` read them, and they name modules so
/// weights load by their PyTorch `state_dict` names (`features.4: maxpool 2`, `relu1: relu`).
/// cnnc cannot tell a module name on a layer from a forgotten skip connection, so labels on
/// layers and `concat`/`add` blocks (which name their join) are never reported. A labelled call
/// or repeat whose body holds no labelled layer is different: generated names get no prefix, so
/// the label names nothing, and if nothing reads it either it does nothing at all. That is
/// typically a U-Net or YOLO skip source whose `@label` was never written.
struct UnusedLabel: LintRule {
  let id = DiagnosticID.unusedLabel
  let summary = "a label on a call or repeat that nothing reads and that names no layer"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    var walk = LabelWalk(syntax: syntax)
    walk.visit(syntax.body)
    return walk.candidates.filter { !walk.isRead($0.label.text) }.map { candidate in
      let label = candidate.label.text
      return Diagnostic(
        id, "label '\(label)' is never read and names no layer: \(candidate.body) holds no "
          + "labelled layer",
        at: candidate.label.range, label: "unused label",
        notes: [Diagnostic.Note("generated names get no prefix from a label"),
                Diagnostic.Note("read it with '@\(label)', or remove the label")])
    }
  }
}

/// Collects labelled calls and repeats that name nothing, and every label read, walking the
/// body and each definition it reaches once.
private struct LabelWalk {
  let definitions: [String: Definition]
  var reads: [String] = []
  var candidates: [(label: Word, body: String)] = []
  var visited = Set<String>()

  init(syntax: SpecFile) {
    definitions = Dictionary(syntax.definitions.map { ($0.name.text, $0) },
                             uniquingKeysWith: { first, _ in first })
    reads = syntax.outputs.map(\.text)
  }

  mutating func visit(_ steps: Pipeline) {
    for step in steps {
      switch step.kind {
      case .layer: break
      case .reference(let word): reads.append(word.text)
      case .block(let block): block.branches.forEach { visit($0) }
      case .repeat(let loop):
        if let label = step.label, !names(loop.body) {
          candidates.append((label, "its repeat body"))
        }
        visit(loop.body)
      case .call(let call):
        guard let definition = definitions[call.name.text] else { continue }
        if let label = step.label, !names(definition.body) {
          candidates.append((label, "'\(call.name.text)'"))
        }
        if visited.insert(call.name.text).inserted { visit(definition.body) }
      }
    }
  }

  /// Whether expanding `steps` creates a labelled layer (which a label in front would prefix).
  func names(_ steps: Pipeline, depth: Int = 0) -> Bool {
    guard depth <= Parser.maximumNesting else { return true }
    return steps.contains { step in
      switch step.kind {
      case .layer: return step.label != nil
      case .reference: return false
      case .block(let block):
        return step.label != nil || block.branches.contains { names($0, depth: depth + 1) }
      case .repeat(let loop): return names(loop.body, depth: depth + 1)
      case .call(let call):
        return definitions[call.name.text].map { names($0.body, depth: depth + 1) } ?? true
      }
    }
  }

  /// `@a.b.c` may read a label at any level of its path, so a label counts as read when it is
  /// one of the path's dotted segments runs (over-approximating keeps false alarms out).
  func isRead(_ label: String) -> Bool {
    reads.contains { read in
      read == label || read.hasPrefix(label + ".") || read.hasSuffix("." + label)
        || read.contains("." + label + ".")
    }
  }
}
