import Foundation

/// The sliding-window rule for one spatial axis, shared by convolution and pooling.
///
/// PyTorch's rule: `out = (in + padBegin + padEnd - dilation*(kernel-1) - 1) / stride + 1`, with
/// `ceil` mode's extra rule that the last window must start inside the input or its left
/// padding. Everything is overflow-checked; nil results become located diagnostics.
struct WindowAxis: Equatable {
  var input: Int
  var kernel: Int
  var stride: Int
  var dilation: Int
  var padBegin: Int
  var padEnd: Int

  /// The kernel's reach, `dilation*(kernel-1) + 1`, or nil on overflow.
  var span: Int? {
    checkedProduct([dilation, kernel - 1]).flatMap { checkedSum([$0, 1]) }
  }

  var padded: Int? { checkedSum([input, padBegin, padEnd]) }

  /// `padded - span`: how far the window can slide; negative when the kernel does not fit.
  var reach: Int? {
    guard let padded, let span else { return nil }
    return padded - span
  }

  /// The output length under `rounding`, or nil if the kernel does not fit.
  func length(_ rounding: Rounding) -> Int? {
    guard let reach, reach >= 0 else { return nil }
    let floorLength = reach / stride + 1
    guard rounding == .ceil, reach % stride != 0 else { return floorLength }
    // PyTorch: drop the extra window when it would start in the right padding.
    return (floorLength) * stride >= input + padBegin ? floorLength : floorLength + 1
  }

  /// Real input rows (or columns) left unread after the last window under floor rounding.
  var unreadInput: Int {
    guard let reach, reach >= 0 else { return 0 }
    return max(0, reach % stride - padEnd)
  }

  /// The contract's tolerance: what the stride skips between two windows anyway.
  var tolerance: Int {
    guard let span else { return 0 }
    return max(0, stride - span)
  }

  /// True when floor rounding loses real input beyond the tolerance (an error in `exact` mode).
  var dropsInput: Bool { unreadInput > tolerance }

  /// `(224 - 11 + 0)/4 + 1 = 54.25`, the arithmetic as the contract writes it.
  var arithmetic: String {
    let pads = padBegin + padEnd
    let kernelText = dilation == 1 ? "\(kernel)" : "\(span ?? kernel)"
    let numerator = (reach ?? 0)
    let value = Double(numerator) / Double(stride) + 1
    var valueText = String(format: "%.4f", value)
    while valueText.hasSuffix("0") { valueText.removeLast() }
    if valueText.hasSuffix(".") { valueText.removeLast() }
    return "(\(input) - \(kernelText) + \(pads))/\(stride) + 1 = \(valueText)"
  }

  /// Same padding (ONNX `SAME_UPPER`): out = ceil(in/stride), the odd pixel padded at the end.
  static func samePadding(input: Int, kernel: Int, stride: Int, dilation: Int) -> (Int, Int)? {
    let out = (input + stride - 1) / stride
    guard let steps = checkedProduct([out - 1, stride]),
      let span = checkedProduct([dilation, kernel - 1]),
      let needed = checkedSum([steps, span, 1])
    else { return nil }
    let total = max(0, needed - input)
    return (total / 2, total - total / 2)
  }
}
