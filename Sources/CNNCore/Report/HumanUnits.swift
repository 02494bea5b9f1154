import Foundation

/// Number formatting for the human-readable reports (text, markdown, graphs).
///
/// Counts use decimal prefixes with four significant digits, as torchinfo and ptflops print
/// them (`60.97 M`, `724.4 MMac`); bytes use binary prefixes with two decimals (`232.56 MiB`);
/// exact figures get thousands separators (`60,965,224`). Formatting is locale-independent so
/// goldens are stable.
enum HumanUnits {
  /// `60965224` → `60.97 M`; below 1000 the plain number.
  static func count(_ value: Int, unit: String = "") -> String {
    let prefixes = ["", "K", "M", "G", "T", "P", "E"]
    var scaled = Double(value)
    var level = 0
    while abs(scaled) >= 999.95 && level + 1 < prefixes.count {
      scaled /= 1000
      level += 1
    }
    let space = unit.isEmpty && level == 0 ? "" : " "
    if level == 0 { return "\(value)\(space)\(unit)" }
    let decimals = abs(scaled) >= 100 ? 1 : abs(scaled) >= 10 ? 2 : 3
    return String(format: "%.\(decimals)f", scaled) + space + prefixes[level] + unit
  }

  /// `724406816` → `724.4 MMac`.
  static func macs(_ value: Int) -> String { count(value, unit: "Mac") }

  /// `243860896` → `232.56 MiB`; below 1 KiB `512 B`.
  static func bytes(_ value: Int) -> String {
    let prefixes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var scaled = Double(value)
    var level = 0
    while scaled >= 1024 && level + 1 < prefixes.count {
      scaled /= 1024
      level += 1
    }
    if level == 0 { return "\(value) B" }
    return String(format: "%.2f", scaled) + " " + prefixes[level]
  }

  /// `60965224` → `60,965,224`.
  static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (position, digit) in digits.enumerated() {
      if position > 0 && (digits.count - position) % 3 == 0 { result += "," }
      result.append(digit)
    }
    return value < 0 ? "-" + result : result
  }
}
