/// The expanded network: every `def`, `repeat` and parameter resolved into a flat list of
/// layers in execution order, each naming the layers it reads.
public struct Network: Sendable {
  /// The generated Swift type name (`network` header, or the file name in UpperCamelCase).
  public var name: String
  public var input: Shape
  public var inputRange: SourceRange
  public var rounding: Rounding
  public var layers: [Layer]
  /// Indices of the output layers, in `output` order (the last layer when not declared).
  public var outputs: [Int]
}

/// One layer after expansion.
public struct Layer: Sendable {
  /// `Layer.networkInput` in `inputs` means the network's input tensor.
  public static let networkInput = -1

  /// The composed module-tree name (`layer1.0.conv1`) or a generated one (`relu3`).
  public var name: String
  public var kind: LayerKind
  /// Nil when the arguments were invalid: the layer is poisoned and not diagnosed again.
  public var attributes: LayerAttributes?
  public var inputs: [Int]
  /// The layer as written (for joins: the block keyword).
  public var range: SourceRange
  /// Where each option was written ("kernel", "stride", "count", …), for precise carets.
  public var argumentRanges: [String: SourceRange]
  /// The calls this layer was expanded from, innermost first.
  public var callSites: [SourceRange]
  public var isLabelled: Bool

  /// The range of one argument, or the whole layer when it was not written.
  public func range(of argument: String) -> SourceRange {
    argumentRanges[argument] ?? range
  }
}
