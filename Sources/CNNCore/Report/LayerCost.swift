/// What one layer costs: parameters, work, memory and the input window it sees.
///
/// Every figure is an exact integer so the report JSON can be diffed and a code generator can
/// allocate from it; the formulas live in `CostModel` and are listed in `docs/report.md`.
public struct LayerCost: Sendable, Equatable {
  /// Weights and biases, written in the spec (`weights=[…]`) or learnable.
  public var params = 0
  /// The learnable part of `params`: constant weights and biases are excluded.
  public var trainableParams = 0
  /// State that is not a parameter: BN's running mean and variance (2·C).
  public var buffers = 0
  /// Multiply-accumulates of conv, deconv and fc only (the contract's formulas).
  public var macs = 0
  /// Every other arithmetic step (bias adds, BN, activations, pooling, joins), per the table
  /// in `docs/report.md`; kept apart from MACs so MACs match the literature.
  public var elementOps = 0
  /// The output tensor in fp32.
  public var outputBytes = 0
  /// How many input pixels (height, width) one output pixel depends on.
  public var receptiveField = Dims(1, 1)
  /// The distance in input pixels between two neighbouring output pixels.
  public var jump = Dims(1, 1)

  public init() {}
}

/// A size that did not fit in Int64 while costing a layer; the report turns it into a
/// located `shape.overflow` diagnostic instead of trapping.
struct CostOverflow: Error {}

/// Overflow-checked product; throws rather than returning nil so cost formulas read as formulas.
func costProduct(_ factors: Int...) throws(CostOverflow) -> Int {
  guard let result = checkedProduct(factors) else { throw CostOverflow() }
  return result
}

/// Overflow-checked sum.
func costSum(_ terms: Int...) throws(CostOverflow) -> Int {
  guard let result = checkedSum(terms) else { throw CostOverflow() }
  return result
}

extension Shape {
  /// Element count, throwing on overflow (the checker already bounds output shapes).
  func costElements() throws(CostOverflow) -> Int {
    guard let count = elementCount else { throw CostOverflow() }
    return count
  }
}
