/// A height/width pair: kernel sizes, strides, dilations, grid sizes. Height comes first.
public struct Dims: Sendable, Hashable, Codable, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public init(_ height: Int, _ width: Int) {
    self.height = height
    self.width = width
  }
  public static func square(_ n: Int) -> Dims { Dims(n, n) }
  public var description: String { "\(height)x\(width)" }
  public var isSquare: Bool { height == width }
  /// `3` for square sizes, `1x3` otherwise: how a user would write it.
  public var compact: String { isSquare ? "\(height)" : description }
}

/// Zero padding on each side, in the contract's order (top, left, bottom, right).
public struct Insets: Sendable, Hashable, Codable {
  public var top: Int, left: Int, bottom: Int, right: Int
  public init(top: Int, left: Int, bottom: Int, right: Int) {
    (self.top, self.left, self.bottom, self.right) = (top, left, bottom, right)
  }
  public static let zero = Insets(top: 0, left: 0, bottom: 0, right: 0)
  public var array: [Int] { [top, left, bottom, right] }
}

/// Padding as written: explicit sides or `same` (resolved against the input shape).
public enum Padding: Sendable, Hashable {
  case explicit(Insets)
  /// ONNX `SAME_UPPER`: out = ceil(in / stride), the odd pixel at the end.
  case same
}

/// How a non-integral window count is rounded.
public enum Rounding: String, Sendable, Codable {
  /// Non-integral counts that would drop real input are errors.
  case exact
  case floor, ceil
}

/// Flatten order; the first letter is the slowest-varying axis.
public enum FlattenOrder: String, Sendable, Codable {
  case chw, hwc, whc
}

/// The resolved arguments of one layer after parameter substitution.
///
/// Defaults are PyTorch's (`torch.nn` constructors): bias on, stride 1 for conv, stride = kernel
/// for pooling (applied by the shape rules), LRN `alpha=1e-4 beta=0.75 k=1`, BN `eps=1e-5`.
public struct LayerAttributes: Sendable, Equatable {
  public var count: Int?
  public var kernel: Dims?
  public var stride: Dims?
  public var padding: Padding = .explicit(.zero)
  public var groups = 1
  public var dilation = Dims(1, 1)
  public var hasBias = true
  public var rounding: Rounding?
  public var constantWeights: [Float]?
  public var constantBias: [Float]?
  public var outputPadding = Dims(0, 0)
  public var order = FlattenOrder.chw
  public var epsilon = 1e-5
  public var momentum = 0.1
  public var alpha = 1e-4
  public var beta = 0.75
  public var k = 1.0
  public var countIncludePad = true
  /// Dropout probability, leaky slope or ELU alpha.
  public var real: Double?
  /// Adaptive pooling output or upsampling factor.
  public var size: Dims?
  public var grid: [Int] = []
  /// Zeropad amounts.
  public var insets = Insets.zero
  public init() {}
}
