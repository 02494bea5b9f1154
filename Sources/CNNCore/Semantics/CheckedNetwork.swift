/// A network whose shapes are known: the checker's product, read by reports and code generation.
public struct CheckedNetwork: Sendable {
  public var network: Network
  /// Output shape per layer; nil for a poisoned layer (already diagnosed).
  public var shapes: [Shape?]
  /// Kernel, stride, padding and dilation as resolved for windowed layers (conv, pooling).
  public var windows: [Window?]
  public var layers: [Layer] { network.layers }

  /// The input shapes of layer `index` (the network input for `Layer.networkInput`).
  public func inputShapes(of index: Int) -> [Shape?] {
    network.layers[index].inputs.map { $0 == Layer.networkInput ? network.input : shapes[$0] }
  }

  public var outputShapes: [Shape?] { network.outputs.map { shapes[$0] } }
}

/// The resolved geometry of a sliding window; padding `same` is turned into numbers here.
public struct Window: Sendable, Equatable {
  public var kernel: Dims
  public var stride: Dims
  public var padding: Insets
  public var dilation: Dims
}
