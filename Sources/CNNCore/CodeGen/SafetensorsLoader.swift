/// The safetensors reader emitted into every generated file (nested in the network class, so two
/// generated models can live in one module); the packers that use it are `WeightLayout.packers`.
///
/// Format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`, then the data
/// (offsets relative to the end of the header). F32 is read as is; F16 and BF16 are widened to
/// Float on load. Every problem is a thrown `WeightsError` whose message names the tensor.
///
/// The whole header is checked before any data is read (so a bad file fails fast and with the
/// same message as before), then each tensor is streamed with `pread` through one reusable
/// buffer of `chunk` values straight into its packed place: the process never holds a decoded
/// copy of a tensor or a mapping of the file, so resident memory stays near the packed weights
/// plus the activations (VGG-16 peak RSS 1,167 -> 614 MB for 553 MB of weights; before, the
/// mapped file, every decoded tensor and the packed buffer were alive together).
///
/// The file is read with `open`/`pread` and the header parsed by `HeaderParser`, not with
/// `FileHandle`, `URL` and `JSONSerialization`: the first use of those pages in ~3 MB of
/// Foundation (measured on SqueezeNet 1.1: URL 0.8 + its path 1.4, JSONSerialization 0.6,
/// FileHandle 0.3 MB), more than half of what a small network's weights and activations take.
enum SafetensorsLoader {
  static let source = #"""
/// A weights file that does not fit the network; `message` names the tensor and both shapes.
public struct WeightsError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public var description: String { message }
  public var localizedDescription: String { message }
}

/// One tensor the network reads: `optional` ones may be absent, `ignored` ones are not read.
private struct Expected: Sendable {
  let name: String
  let shape: [Int]
  let ignored: Bool
}

/// A checked safetensors file (or none, for spec-constant weights) that hands out tensors in
/// pieces of at most `chunk` values; spec-constant tensors (`constants`) take precedence.
///
/// Reading stops at the first I/O error, which is kept in `failure` (the header was checked,
/// so this means the file changed or the disk failed); the caller throws it after packing.
private final class Safetensors {
  /// Values per read: 256 KB of Float, so big tensors (AlexNet fc6: 151 MB) never exist whole;
  /// larger pieces only add resident memory (the `pread` calls cost < 1 % of the load).
  static let chunk = 1 << 16
  private struct Entry { let offset: Int; let count: Int; let dtype: String }
  /// The open file (-1 when there is none).
  private var descriptor: Int32 = -1
  private let path: String
  /// The checked tensors in `expected` order. A list, not a dictionary: hashing a `String` pages
  /// in ~1 MB of the standard library on first use, and the packers ask in nearly this order
  /// (a layer's bias and batch-norm vectors before its weight), so `entry(_:)`, searching on
  /// from where the previous search stopped, finds each within a few names.
  private var entries: [(name: String, entry: Entry)] = []
  private var nextEntry = 0
  /// Spec-constant tensors, a list for the same reason (a dictionary literal of them cost
  /// `edge_vertical` 1.2 MB of resident memory, for 3 weights).
  private let constants: [(name: String, values: [Float])]
  private var floats: UnsafeMutablePointer<Float>?
  private var halves: UnsafeMutablePointer<UInt16>?
  private(set) var failure: WeightsError?

  /// No file: every tensor comes from `constants`.
  init(constants: [(name: String, values: [Float])]) {
    path = ""
    self.constants = constants
  }

  /// Opens `path` and checks its header against `expected` (PyTorch `state_dict` names).
  init(path: String, expected: [Expected], constants: [(name: String, values: [Float])]) throws {
    self.constants = constants
    self.path = path
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw WeightsError(message: "cannot read weights file '\(path)': \(String(cString: strerror(errno)))")
    }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    do {
      try check(name, expected: expected)
    } catch {
      close(descriptor)
      descriptor = -1
      throw error
    }
  }

  deinit {
    floats?.deallocate()
    halves?.deallocate()
    if descriptor >= 0 { close(descriptor) }
  }

  private static func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }

  /// Reads `count` bytes at `offset` into `target`; false (and `failure` set) if the file ends.
  private func read(_ target: UnsafeMutableRawPointer, at offset: Int, count: Int) -> Bool {
    guard failure == nil, descriptor >= 0 else { return false }
    var done = 0
    while done < count {
      let got = pread(descriptor, target + done, count - done, off_t(offset + done))
      if got <= 0 {
        failure = WeightsError(message: "cannot read weights file '\(path)': \(count) bytes at \(offset) could not be read")
        return false
      }
      done += got
    }
    return true
  }

  /// Parses and checks the header: every expected tensor present with its shape, a known dtype
  /// and data inside the file; no tensor the network does not have.
  private func check(_ file: String, expected: [Expected]) throws {
    let size = max(0, Int(lseek(descriptor, 0, SEEK_END)))
    var prefix = [UInt8](repeating: 0, count: 8)
    guard size >= 8, read(&prefix, at: 0, count: 8) else {
      throw WeightsError(message: "'\(file)' is not a safetensors file: \(size) bytes, shorter than the 8-byte header length")
    }
    var length: UInt64 = 0
    for index in 0..<8 { length |= UInt64(prefix[index]) << UInt64(8 * index) }
    guard length <= UInt64(size - 8) else {
      throw WeightsError(message: "'\(file)' is not a safetensors file (or is truncated): its header claims \(length) bytes but the file has \(size)")
    }
    let dataStart = 8 + Int(length)
    var headerBytes = [UInt8](repeating: 0, count: Int(length))
    let complete = headerBytes.withUnsafeMutableBytes { raw in
      raw.count == 0 || read(raw.baseAddress!, at: 8, count: raw.count)
    }
    guard complete, let header = HeaderParser.parse(headerBytes), let members = header.members else {
      throw failure ?? WeightsError(message: "'\(file)' is not a safetensors file: its header is not a JSON object")
    }
    // One pass over the members: each is an expected tensor (the last one wins should a name
    // repeat) or an unknown one.
    var found = [HeaderValue?](repeating: nil, count: expected.count)
    var unknown: [(key: [UInt8], value: HeaderValue)] = []
    for member in members where !member.key.elementsEqual("__metadata__".utf8) {
      if let index = expected.firstIndex(where: { member.key.elementsEqual($0.name.utf8) }) {
        found[index] = member.value
      } else {
        unknown.append(member)
      }
    }
    // The first unknown name in sorted order, so the message does not depend on the file's order.
    if let (name, value) = unknown.map({ (String(decoding: $0.key, as: UTF8.self), $0.value) }).min(by: { $0.0 < $1.0 }) {
      let shape = value["shape"]?.integers.map(Self.describe) ?? "?"
      throw WeightsError(message: "unexpected tensor '\(name)' \(shape) in '\(file)': the network has no such parameter")
    }
    for (entry, value) in zip(expected, found) where !entry.ignored {
      entries.append((entry.name, try check(entry, value, file: file, data: size - dataStart, at: dataStart)))
    }
  }

  /// Checks one header entry against the network's expectation; where its data starts.
  private func check(_ entry: Expected, _ value: HeaderValue?, file: String, data: Int, at dataStart: Int) throws -> Entry {
    guard let info = value, info.members != nil else {
      throw WeightsError(message: "tensor '\(entry.name)' \(Self.describe(entry.shape)) is missing from '\(file)'")
    }
    guard let shape = info["shape"]?.integers, let dtypeName = info["dtype"]?.bytes,
      let offsets = info["data_offsets"]?.integers, offsets.count == 2
    else {
      throw WeightsError(message: "tensor '\(entry.name)' has a malformed header entry (needs dtype, shape and data_offsets)")
    }
    guard shape == entry.shape else {
      throw WeightsError(message: "tensor '\(entry.name)' has shape \(Self.describe(shape)) in the file; the network expects \(Self.describe(entry.shape))")
    }
    guard let dtype = ["F32", "F16", "BF16"].first(where: { dtypeName.elementsEqual($0.utf8) }) else {
      let name = String(decoding: dtypeName, as: UTF8.self)
      throw WeightsError(message: "tensor '\(entry.name)' \(Self.describe(shape)) has dtype \(name); expected F32 (F16 and BF16 are converted)")
    }
    let width = dtype == "F32" ? 4 : 2
    let count = entry.shape.reduce(1, *)
    let begin = offsets[0], end = offsets[1]
    guard begin >= 0, end - begin == count * width, end <= data else {
      throw WeightsError(message: "tensor '\(entry.name)' \(Self.describe(shape)) \(dtype) needs \(count * width) bytes at data offsets \(begin)..<\(end), but the file has \(data) data bytes (truncated?)")
    }
    return Entry(offset: dataStart + begin, count: count, dtype: dtype)
  }

  /// Calls `body(first, values)` for consecutive pieces of tensor `name` (at most `chunk`
  /// values each; `first` is the index of `values[0]`). Nothing for an absent tensor.
  func stream(_ name: String, _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
    if let values = constant(name) {
      values.withUnsafeBufferPointer { body(0, $0) }
      return
    }
    guard let entry = entry(name) else { return }
    let floats = self.floats ?? .allocate(capacity: Self.chunk)
    self.floats = floats
    var first = 0
    while first < entry.count {
      let count = min(Self.chunk, entry.count - first)
      guard widen(entry, from: first, count: count, into: floats) else { return }
      body(first, UnsafeBufferPointer(start: floats, count: count))
      first += count
    }
  }

  /// The checked tensor `name`, searched from where the last search stopped.
  private func entry(_ name: String) -> Entry? {
    for step in 0..<entries.count {
      let index = (nextEntry + step) % entries.count
      if entries[index].name.utf8.elementsEqual(name.utf8) {
        nextEntry = index + 1
        return entries[index].entry
      }
    }
    return nil
  }

  /// Reads values `first..<first + count` of `entry` as Float into `floats`.
  private func widen(_ entry: Entry, from first: Int, count: Int, into floats: UnsafeMutablePointer<Float>) -> Bool {
    if entry.dtype == "F32" {
      guard read(floats, at: entry.offset + first * 4, count: count * 4) else { return false }
      let bits = UnsafeMutableRawPointer(floats).assumingMemoryBound(to: UInt32.self)
      for index in 0..<count { floats[index] = Float(bitPattern: UInt32(littleEndian: bits[index])) }
      return true
    }
    let halves = self.halves ?? .allocate(capacity: Self.chunk)
    self.halves = halves
    guard read(halves, at: entry.offset + first * 2, count: count * 2) else { return false }
    if entry.dtype == "BF16" {
      for index in 0..<count { floats[index] = Float(bitPattern: UInt32(UInt16(littleEndian: halves[index])) << 16) }
    } else {
      for index in 0..<count { floats[index] = Self.halfToFloat(UInt16(littleEndian: halves[index])) }
    }
    return true
  }

  /// The spec-constant values of tensor `name`, if it has any.
  private func constant(_ name: String) -> [Float]? {
    constants.first { $0.name == name }?.values
  }

  /// All of a small tensor (a bias, batch-norm statistics); empty when absent.
  func values(_ name: String) -> [Float] {
    if let values = constant(name) { return values }
    var result: [Float] = []
    stream(name) { _, piece in result.append(contentsOf: piece) }
    return result
  }

  /// IEEE half to Float without `Float16` (unavailable on some platforms).
  private static func halfToFloat(_ bits: UInt16) -> Float {
    let sign: Float = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int((bits >> 10) & 0x1F)
    let fraction = Float(bits & 0x3FF)
    if exponent == 0 { return sign * fraction * 0x1p-24 }
    if exponent == 31 { return fraction == 0 ? sign * Float.infinity : Float.nan }
    return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
  }
}

/// A JSON value of a safetensors header. Strings stay UTF-8 bytes and objects lists of members:
/// nothing is hashed and no `String` is decoded while a file is read (those standard-library
/// paths page in ~1 MB on first use), only for an error message.
private enum HeaderValue {
  case object([(key: [UInt8], value: HeaderValue)])
  case array([HeaderValue])
  case string([UInt8])
  /// A number; `integer` when it is written as one (no fraction or exponent) and fits an `Int`.
  case number(integer: Int?)
  /// `true`, `false` or `null`: never part of a tensor entry.
  case literal

  var members: [(key: [UInt8], value: HeaderValue)]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The member named `key` (the last one, should the name repeat).
  subscript(key: String) -> HeaderValue? {
    members?.last { $0.key.elementsEqual(key.utf8) }?.value
  }

  var bytes: [UInt8]? {
    if case .string(let bytes) = self { return bytes }
    return nil
  }

  /// An array of integers (a shape or data offsets).
  var integers: [Int]? {
    guard case .array(let items) = self else { return nil }
    var result: [Int] = []
    for item in items {
      guard case .number(let integer?) = item else { return nil }
      result.append(integer)
    }
    return result
  }
}

/// A strict JSON (RFC 8259) parser for the header: nil for anything that is not one complete
/// JSON value, and for nesting deeper than `maxDepth` (a hostile file cannot exhaust the stack).
private struct HeaderParser {
  static let maxDepth = 64
  private let bytes: [UInt8]
  private var at = 0
  private var depth = 0

  static func parse(_ bytes: [UInt8]) -> HeaderValue? {
    var parser = HeaderParser(bytes: bytes)
    guard let value = parser.value() else { return nil }
    parser.skipSpace()
    return parser.at == bytes.count ? value : nil
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private mutating func skipSpace() {
    while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
  }

  /// Skips white space, then consumes `byte` if it is next.
  private mutating func consume(_ byte: UInt8) -> Bool {
    skipSpace()
    guard at < bytes.count, bytes[at] == byte else { return false }
    at += 1
    return true
  }

  private mutating func value() -> HeaderValue? {
    skipSpace()
    guard at < bytes.count, depth < Self.maxDepth else { return nil }
    switch bytes[at] {
    case UInt8(ascii: "{"):
      at += 1
      depth += 1
      defer { depth -= 1 }
      var members: [(key: [UInt8], value: HeaderValue)] = []
      if consume(UInt8(ascii: "}")) { return .object(members) }
      repeat {
        skipSpace()
        guard let key = string(), consume(UInt8(ascii: ":")), let member = value() else { return nil }
        members.append((key, member))
      } while consume(UInt8(ascii: ","))
      return consume(UInt8(ascii: "}")) ? .object(members) : nil
    case UInt8(ascii: "["):
      at += 1
      depth += 1
      defer { depth -= 1 }
      var items: [HeaderValue] = []
      if consume(UInt8(ascii: "]")) { return .array(items) }
      repeat {
        guard let item = value() else { return nil }
        items.append(item)
      } while consume(UInt8(ascii: ","))
      return consume(UInt8(ascii: "]")) ? .array(items) : nil
    case UInt8(ascii: "\""):
      return string().map(HeaderValue.string)
    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
      for word in ["true", "false", "null"] where bytes[at...].starts(with: word.utf8) {
        at += word.utf8.count
        return .literal
      }
      return nil
    default:
      return number()
    }
  }

  /// `-? int frac? exp?` as in RFC 8259; the value only for an integer that fits an `Int`.
  private mutating func number() -> HeaderValue? {
    var negative = false
    if at < bytes.count, bytes[at] == UInt8(ascii: "-") {
      negative = true
      at += 1
    }
    var integer: Int? = 0
    let first = at
    while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
      let digit = Int(bytes[at] - UInt8(ascii: "0"))
      if let value = integer {
        let (times, overflow) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowSum) = times.addingReportingOverflow(negative ? -digit : digit)
        integer = overflow || overflowSum ? nil : sum
      }
      at += 1
    }
    guard at > first, bytes[first] != UInt8(ascii: "0") || at == first + 1 else { return nil }
    func digits() -> Bool {
      let start = at
      while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") { at += 1 }
      return at > start
    }
    if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
      at += 1
      guard digits() else { return nil }
      integer = nil
    }
    if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
      at += 1
      if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
      guard digits() else { return nil }
      integer = nil
    }
    return .number(integer: integer)
  }

  /// The UTF-8 bytes of the string at `at` (which must be its opening quote), escapes resolved.
  private mutating func string() -> [UInt8]? {
    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
    at += 1
    var utf8: [UInt8] = []
    while at < bytes.count {
      let byte = bytes[at]
      at += 1
      switch byte {
      case UInt8(ascii: "\""):
        return utf8
      case UInt8(ascii: "\\"):
        guard at < bytes.count else { return nil }
        let escape = bytes[at]
        at += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
          guard var code = hexQuad() else { return nil }
          if (0xD800..<0xDC00).contains(code) {
            // A high surrogate must be followed by an escaped low one.
            guard bytes[at...].starts(with: "\\u".utf8) else { return nil }
            at += 2
            guard let low = hexQuad(), (0xDC00..<0xE000).contains(low) else { return nil }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { return nil }
          utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
          return nil
        }
      default:
        guard byte >= 0x20 else { return nil }
        utf8.append(byte)
      }
    }
    return nil
  }

  /// Four hex digits (after `\u`).
  private mutating func hexQuad() -> UInt32? {
    guard at + 4 <= bytes.count else { return nil }
    var code: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[at]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: return nil
      }
      code = code << 4 | UInt32(digit)
      at += 1
    }
    return code
  }
}
"""#
}
