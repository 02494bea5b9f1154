/// One design rule of `cnnc lint`: a pattern that compiles but is almost always a mistake.
///
/// Rules only read the checked network and the syntax tree; they run after a clean check, so
/// every layer has a shape and no rule has to guard against poisoned input. Each rule reports
/// warnings under its own stable id, documented with a bad and a good example in `docs/lint.md`.
public protocol LintRule: Sendable {
  var id: DiagnosticID { get }
  /// One line for `docs/lint.md` and help text.
  var summary: String { get }
  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic]
}

/// Runs the design rules of `cnnc lint` over a checked network.
///
/// The order is fixed (sorted by id) so output is deterministic before the engine sorts by
/// position; a layer expanded from a `def` several times is reported once, at its first use
/// (the engine drops repeats of one id at one range).
public enum Linter {
  public static let rules: [any LintRule] = [
    ActivationAfterSoftmax(),
    BiasBeforeBatchNorm(),
    ConsecutiveLinear(),
    DropoutBeforeOutput(),
    FullyConnectedDominates(),
    SoftmaxNotLast(),
    SpatialCollapse(),
    StrideExceedsKernel(),
    UnusedDefinition(),
    UnusedLabel(),
  ]

  public static func lint(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    rules.flatMap { rule in
      rule.check(network, syntax: syntax).map { diagnostic in
        var warning = diagnostic
        warning.severity = .warning
        return warning
      }
    }
  }
}
