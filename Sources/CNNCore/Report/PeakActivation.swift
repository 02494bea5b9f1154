/// The most activation memory alive at once when layers run one by one in execution order.
///
/// The code generator allocates exactly this, so the rule is kept simple and exact:
/// - tensors are the network input and every layer's output, fp32;
/// - the input is alive from the start until its last reader has run;
/// - a layer's output is alive from the step that produces it until its last reader has run;
///   a network output stays alive to the end; an output nobody reads is alive only during the
///   step that produces it;
/// - while layer `i` runs, its inputs and its output are all alive (no in-place special case).
/// The peak is the largest sum over steps `i` of the tensors alive at step `i`.
enum PeakActivation {
  static func bytes(of report: Report) throws(CostOverflow) -> Int {
    let count = report.entries.count
    let inputBytes = try costProduct(report.input.costElements(), 4)
    guard count > 0 else { return inputBytes }
    // lastUse[t + 1] is the last step that needs tensor t (t = -1: the network input).
    var lastUse = (0...count).map { max(0, $0 - 1) }
    for (step, entry) in report.entries.enumerated() {
      for producer in entry.producers {
        lastUse[producer + 1] = max(lastUse[producer + 1], step)
      }
    }
    for output in report.outputIndices where output >= 0 && output < count {
      lastUse[output + 1] = count - 1
    }
    // Sweep: add a tensor's bytes at its birth, remove them after its last use.
    var released = Array(repeating: 0, count: count)
    released[lastUse[0]] = inputBytes
    var live = inputBytes
    var peak = inputBytes
    for (step, entry) in report.entries.enumerated() {
      let bytes = entry.cost.outputBytes
      live = try costSum(live, bytes)
      released[lastUse[step + 1]] = try costSum(released[lastUse[step + 1]], bytes)
      peak = max(peak, live)
      live -= released[step]
    }
    return peak
  }
}
