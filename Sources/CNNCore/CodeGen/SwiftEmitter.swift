/// Accumulates generated Swift text: owns indentation and unique identifiers.
///
/// TVM's `BeginScope`/`GetUniqueName`: every name comes from here, so two layers whose names
/// differ only in punctuation (`a.b`, `a_b`) still get distinct, deterministic identifiers.
struct SwiftEmitter {
  private(set) var text = ""
  private var depth = 0
  private var taken: Set<String>

  /// Identifiers the generated class uses for itself; layer functions never take them.
  static let reserved: Set<String> = [
    "forward", "forwardAll", "weights", "arena", "scratch", "init", "deinit", "self", "Self",
    "inputShape", "outputShapes", "layerNames", "inputCount", "outputCounts", "parameterShapes",
    "for", "in", "if", "else", "while", "repeat", "return", "func", "let", "var", "class",
    "struct", "enum", "case", "default", "switch", "break", "continue", "import", "static",
    "private", "public", "internal", "where", "true", "false", "nil", "as", "is", "try", "throw",
    "throws", "do", "catch", "guard", "defer", "extension", "protocol", "operator", "subscript",
    "typealias", "associatedtype", "inout", "super", "Any", "Type", "some", "any", "fileprivate",
    "WeightsError", "Safetensors", "constants", "pack", "fold", "readWeights", "halfToFloat",
    "Expected", "expected", "packPlain", "threads", "parallelFor", "parallelRanges", "pool",
    "WorkerPool", "parallelParts", "partInts", "partCapacity", "partIntStride", "scratchCount",
    "allocateScratch", "allocateZeroed", "onlineProcessors", "describe", "integers", "min", "max", "exp", "expm1",
    "tanh", "pow", "abs", "precondition", "zip", "print", "Float", "Int", "Array", "Data", "URL",
    "String", "Double", "Error", "SIMD4", "SIMD8", "SIMD16", "UnsafePointer", "UnsafeRawPointer",
    "UnsafeMutablePointer", "UnsafeMutableRawPointer", "UnsafeBufferPointer", "Swift", "Foundation",
  ]

  init() { taken = Self.reserved }

  /// Appends one line at the current indentation (2 spaces per level).
  mutating func line(_ content: String = "") {
    if content.isEmpty {
      text += "\n"
    } else {
      text += String(repeating: "  ", count: depth) + content + "\n"
    }
  }

  /// Appends pre-indented text (runtime support source) at the current level.
  mutating func lines(_ block: String) {
    for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
      self.line(String(line))
    }
  }

  /// `header {`, the body one level deeper, then `}`.
  mutating func block(_ header: String, _ body: (inout SwiftEmitter) -> Void) {
    line(header + " {")
    depth += 1
    body(&self)
    depth -= 1
    line("}")
  }

  /// A Swift identifier for `name`: punctuation becomes `_`, a leading digit gets `_`, and a
  /// taken identifier gets `_2`, `_3`, … in request order.
  mutating func uniqueName(_ name: String) -> String {
    var base = String(name.unicodeScalars.map { scalar -> Character in
      let isWord = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
      return isWord || scalar == "_" ? Character(scalar) : "_"
    })
    if base.first.map({ $0.isNumber }) ?? true { base = "_" + base }
    var candidate = base
    var counter = 2
    while taken.contains(candidate) {
      candidate = "\(base)_\(counter)"
      counter += 1
    }
    taken.insert(candidate)
    return candidate
  }
}

/// Float and integer literals as generated code writes them.
enum Literal {
  /// A `Float` literal that round-trips exactly (`1.0`, `-0.5`, `1e-05`); non-finite values
  /// become `Float.infinity` / `Float.nan` expressions.
  static func float(_ value: Float) -> String {
    if value.isNaN { return "Float.nan" }
    if value.isInfinite { return value < 0 ? "-Float.infinity" : "Float.infinity" }
    let text = "\(value)"
    return text.contains(".") || text.contains("e") ? text : text + ".0"
  }

  static func float(_ value: Double) -> String { float(Float(value)) }

  /// `[1, 2, 3]`.
  static func ints(_ values: [Int]) -> String {
    "[" + values.map(String.init).joined(separator: ", ") + "]"
  }
}
