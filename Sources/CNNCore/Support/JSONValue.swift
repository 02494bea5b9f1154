/// A JSON value with ordered object keys, so machine-readable output is byte-for-byte stable
/// (golden files and diffs in CI stay meaningful; `JSONSerialization` reorders keys).
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    lhs.rendered() == rhs.rendered()
  }

  /// Pretty-printed with two-space indentation; arrays of scalars stay on one line.
  public func rendered(indent: Int = 0) -> String {
    var output = ""
    write(to: &output, indent: indent)
    return output
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object: return false
    default: return true
    }
  }

  private func write(to output: inout String, indent: Int) {
    switch self {
    case .null: output += "null"
    case .bool(let value): output += value ? "true" : "false"
    case .int(let value): output += String(value)
    case .double(let value): output += value.isFinite ? "\(value)" : "null"
    case .string(let value): output += Self.quote(value)
    case .array(let items):
      if items.allSatisfy(\.isScalar) {
        output += "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]"
        return
      }
      let pad = String(repeating: " ", count: indent + 2)
      output += "[\n"
      for (position, item) in items.enumerated() {
        output += pad
        item.write(to: &output, indent: indent + 2)
        output += position + 1 < items.count ? ",\n" : "\n"
      }
      output += String(repeating: " ", count: indent) + "]"
    case .object(let members):
      if members.isEmpty {
        output += "{}"
        return
      }
      let pad = String(repeating: " ", count: indent + 2)
      output += "{\n"
      for (position, (key, value)) in members.enumerated() {
        output += pad + Self.quote(key) + ": "
        value.write(to: &output, indent: indent + 2)
        output += position + 1 < members.count ? ",\n" : "\n"
      }
      output += String(repeating: " ", count: indent) + "}"
    }
  }

  /// JSON string escaping (RFC 8259): quotes, backslashes and control characters.
  public static func quote(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result + "\""
  }
}
