/// `lint.unused-label`: a label on a call, `repeat` or `concat`/`add` block that nothing reads
/// and that prefixes no layer name.
///
/// Labels do two jobs: `@label` and `output @label` read them, and they name modules so
/// weights load by their PyTorch `state_dict` names (`features.4: maxpool 2`, `relu1: relu`).
/// cnnc cannot tell a module name on a layer from a forgotten skip connection, so labels on
/// layers are never reported. A label in front of a call, a repeat or a block is different
/// when the body holds no labelled layer: generated names get no prefix, and a join is
/// `torch.cat` or `+` in `forward`, not a module, so the label names nothing that PyTorch
/// knows. If nothing reads it either, it does nothing at all: typically a U-Net or YOLO skip
/// source whose `@label` was never written.
struct UnusedLabel: LintRule {
  let id = DiagnosticID.unusedLabel
  let summary = "a label on a call, repeat or block that nothing reads and that names no layer"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    var walk = LabelWalk(syntax: syntax)
    walk.visit(syntax.body)
    return walk.candidates.filter { !walk.isRead($0.label.text) }.map { candidate in
      let label = candidate.label.text
      return Diagnostic(
        id, "label '\(label)' is never read and prefixes no layer name: \(candidate.body) "
          + "holds no labelled layer",
        at: candidate.label.range, label: "never read",
        notes: [Diagnostic.Note(candidate.why),
                Diagnostic.Note("read it with '@\(label)', or remove the label")])
    }
  }
}

/// Collects labelled calls and repeats that name nothing, and every label read, walking the
/// body and each definition it reaches once.
private struct LabelWalk {
  let definitions: [String: Definition]
  var reads: [String] = []
  var candidates: [(label: Word, body: String, why: String)] = []
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
      case .block(let block):
        if let label = step.label, !block.branches.contains(where: { names($0) }) {
          candidates.append((label, "its '\(block.join.rawValue)' block",
                             "a join is not a PyTorch module, so its label matters only to "
                               + "'@\(label.text)'"))
        }
        block.branches.forEach { visit($0) }
      case .repeat(let loop):
        if let label = step.label, !names(loop.body) {
          candidates.append((label, "its repeat body", Self.prefixNote))
        }
        visit(loop.body)
      case .call(let call):
        guard let definition = definitions[call.name.text] else { continue }
        if let label = step.label, !names(definition.body) {
          candidates.append((label, "'\(call.name.text)'", Self.prefixNote))
        }
        if visited.insert(call.name.text).inserted { visit(definition.body) }
      }
    }
  }

  static let prefixNote = "generated names ('conv1', 'relu2') get no prefix from a label"

  /// Whether expanding `steps` creates a labelled layer (which a label in front would prefix);
  /// a labelled join alone does not count, as it names no module.
  func names(_ steps: Pipeline, depth: Int = 0) -> Bool {
    guard depth <= Parser.maximumNesting else { return true }
    return steps.contains { step in
      switch step.kind {
      case .layer: return step.label != nil
      case .reference: return false
      case .block(let block): return block.branches.contains { names($0, depth: depth + 1) }
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
