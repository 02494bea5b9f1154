/// A tensor shape in the literature's order: height x width x channels, batch 1.
///
/// Flat tensors (after `flatten`, `fc`, `spp`) are `1 x 1 x N`, as the report JSON writes them.
public struct Shape: Sendable, Hashable, Codable, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public var channels: Int

  public init(_ height: Int, _ width: Int, _ channels: Int) {
    self.height = height
    self.width = width
    self.channels = channels
  }

  public static func flat(_ count: Int) -> Shape { Shape(1, 1, count) }

  public var description: String { "\(height)x\(width)x\(channels)" }
  public var array: [Int] { [height, width, channels] }

  /// Element count, or nil when it overflows Int64.
  public var elementCount: Int? { checkedProduct([height, width, channels]) }
  /// fp32 bytes, or nil on overflow.
  public var byteCount: Int? { elementCount.flatMap { checkedProduct([$0, 4]) } }
}

/// The product of non-negative sizes, or nil on overflow.
public func checkedProduct(_ factors: [Int]) -> Int? {
  var product = 1
  for factor in factors {
    let (result, overflow) = product.multipliedReportingOverflow(by: factor)
    if overflow { return nil }
    product = result
  }
  return product
}

/// The sum of sizes, or nil on overflow.
public func checkedSum(_ terms: [Int]) -> Int? {
  var sum = 0
  for term in terms {
    let (result, overflow) = sum.addingReportingOverflow(term)
    if overflow { return nil }
    sum = result
  }
  return sum
}
