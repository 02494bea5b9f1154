/// The most activation memory alive at once: exactly what the generated code's activation arena
/// holds (`docs/report.md`, "Peak activation memory").
///
/// The rule is `Liveness`, the model the code generator plans its arena with: layers run one at
/// a time in execution order; element-wise layers and `add` overwrite an input that nothing else
/// reads; a `concat` has its privately read inputs written straight into its channel slices; a
/// storage is alive from its first write to its last read (network outputs to the end); the
/// network input is the caller's memory and is not counted.
enum PeakActivation {
  static func bytes(_ checked: CheckedNetwork) throws(CostOverflow) -> Int {
    guard let bytes = Liveness(checked).peakBytes else { throw CostOverflow() }
    return bytes
  }
}
