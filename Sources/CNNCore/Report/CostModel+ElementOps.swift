/// Element operations: the work that is not a multiply-accumulate.
///
/// One table, documented in `docs/report.md`: a bias add, an activation, a BN scale-and-shift
/// step or a window read is one operation; copies (concat, flatten, zeropad, upsample,
/// identity, dropout) are free. The counts are a model of the arithmetic, not of a kernel's
/// instructions, so they stay stable as code generation changes.
extension CostModel {
  func elementOperations(hasBias: Bool) throws(CostOverflow) -> Int {
    let elements = try output.costElements()
    switch layer.kind {
    case .conv, .dwconv, .deconv, .fc: return hasBias ? elements : 0
    case .bn: return try costProduct(2, elements)
    case .relu, .relu6, .leakyrelu, .prelu, .elu, .sigmoid, .tanh, .swish, .hswish, .hsigmoid:
      return elements
    case .softmax: return try costProduct(3, elements)
    // Sum of N squares, then scale-and-offset, power and divide.
    case .lrn: return try costProduct(costSum(attributes.count ?? 1, 3), elements)
    case .maxpool, .avgpool: return try costProduct(kernel.height, kernel.width, elements)
    case .gap, .gmp: return try input.costElements()
    case .adaptiveavgpool: return try adaptiveReads(grid: Dims(output.height, output.width))
    case .spp:
      var total = 0
      for level in attributes.grid {
        total = try costSum(total, adaptiveReads(grid: .square(level)))
      }
      return total
    case .add: return try costProduct(max(0, inputs.count - 1), elements)
    case .concat, .flatten, .identity, .dropout, .zeropad, .upsample: return 0
    }
  }

  /// Input elements read by PyTorch's adaptive pooling onto `grid`, one operation each.
  ///
  /// Bin `i` of an axis spans `[floor(i·n/o), ceil((i+1)·n/o))`; the lengths sum to
  /// `n + o - gcd(n, o)` (the floors and ceilings differ exactly where `o` does not divide
  /// `i·n`), so no loop over a possibly huge grid is needed.
  func adaptiveReads(grid: Dims) throws(CostOverflow) -> Int {
    func axis(_ n: Int, _ o: Int) throws(CostOverflow) -> Int {
      try costSum(n, o) - greatestCommonDivisor(n, o)
    }
    return try costProduct(axis(input.height, grid.height), axis(input.width, grid.width),
                           input.channels)
  }
}

/// Euclid's algorithm on positive sizes.
func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
  var (x, y) = (a, b)
  while y != 0 { (x, y) = (y, x % y) }
  return x
}
