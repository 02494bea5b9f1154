/// Reading numbers out of words: counts, `HxW` sizes and reals.
///
/// Every integer is parsed with overflow checks: `99999999999999999999` is a located error,
/// never a trap.
enum NumberSyntax {
  /// A decimal integer (optionally negative), or nil when the word is not one or overflows.
  static func integer(_ text: Substring) -> Int? {
    var digits = text
    var negative = false
    if digits.first == "-" {
      negative = true
      digits = digits.dropFirst()
    }
    guard !digits.isEmpty, digits.utf8.count <= 40 else { return nil }
    var value = 0
    for byte in digits.utf8 {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      let (times, o1) = value.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
      if o1 || o2 { return nil }
      value = sum
    }
    return negative ? -value : value
  }

  /// True when the word is all digits but too large for Int64.
  static func isOverflowingInteger(_ text: Substring) -> Bool {
    let digits = text.first == "-" ? text.dropFirst() : text
    return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && integer(text) == nil
  }

  /// `11x11`, `3`, `227*227*3`: integers joined by `x` (or `*`), each parsed as above.
  static func dimensions(_ text: String) -> [Int]? {
    let parts = text.split(separator: text.contains("*") ? "*" : "x",
                           omittingEmptySubsequences: false)
    var values: [Int] = []
    for part in parts {
      guard let value = integer(part) else { return nil }
      values.append(value)
    }
    return values
  }

  /// A finite real (`0.5`, `1e-4`, `-0.125`).
  static func real(_ text: String) -> Double? {
    guard let value = Double(text), value.isFinite, text.utf8.count <= 64 else { return nil }
    let first = text.utf8.first ?? 0
    // Note: reject Swift's other spellings ("nan", "inf", "0x1p3") that Double accepts.
    guard (first >= 48 && first <= 57) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
      || first == UInt8(ascii: ".") else { return nil }
    guard !text.lowercased().contains("x") else { return nil }
    return value
  }
}
