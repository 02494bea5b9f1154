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
  private let handle: FileHandle?
  private let path: String
  private var entries: [String: Entry] = [:]
  private let constants: [String: [Float]]
  private var floats: UnsafeMutablePointer<Float>?
  private var halves: UnsafeMutablePointer<UInt16>?
  private(set) var failure: WeightsError?

  /// No file: every tensor comes from `constants`.
  init(constants: [String: [Float]]) {
    handle = nil
    path = ""
    self.constants = constants
  }

  /// Opens `url` and checks its header against `expected` (PyTorch `state_dict` names).
  init(_ url: URL, expected: [Expected], constants: [String: [Float]]) throws {
    self.constants = constants
    path = url.path
    do {
      handle = try FileHandle(forReadingFrom: url)
    } catch {
      throw WeightsError(message: "cannot read weights file '\(url.path)': \(error.localizedDescription)")
    }
    try check(url.lastPathComponent, expected: expected)
  }

  deinit {
    floats?.deallocate()
    halves?.deallocate()
    try? handle?.close()
  }

  private static func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }

  private static func integers(_ value: Any?) -> [Int]? {
    guard let list = value as? [Any] else { return nil }
    var result: [Int] = []
    for item in list {
      if let number = item as? Int { result.append(number) }
      else if let number = item as? NSNumber { result.append(number.intValue) }
      else { return nil }
    }
    return result
  }

  /// Reads `count` bytes at `offset` into `target`; false (and `failure` set) if the file ends.
  private func read(_ target: UnsafeMutableRawPointer, at offset: Int, count: Int) -> Bool {
    guard failure == nil, let handle else { return false }
    var done = 0
    while done < count {
      let got = pread(handle.fileDescriptor, target + done, count - done, off_t(offset + done))
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
    let size = Int((try? handle?.seekToEnd()) ?? 0)
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
    var headerBytes = Data(count: Int(length))
    let complete = headerBytes.withUnsafeMutableBytes { raw in
      raw.count == 0 || read(raw.baseAddress!, at: 8, count: raw.count)
    }
    guard complete, let parsed = try? JSONSerialization.jsonObject(with: headerBytes),
      let header = parsed as? [String: Any]
    else {
      throw failure ?? WeightsError(message: "'\(file)' is not a safetensors file: its header is not a JSON object")
    }
    let known = Set(expected.map(\.name))
    for name in header.keys.sorted() where name != "__metadata__" && !known.contains(name) {
      let shape = Self.integers((header[name] as? [String: Any])?["shape"]).map(Self.describe) ?? "?"
      throw WeightsError(message: "unexpected tensor '\(name)' \(shape) in '\(file)': the network has no such parameter")
    }
    for entry in expected where !entry.ignored {
      entries[entry.name] = try check(entry, header[entry.name], file: file, data: size - dataStart, at: dataStart)
    }
  }

  /// Checks one header entry against the network's expectation; where its data starts.
  private func check(_ entry: Expected, _ value: Any?, file: String, data: Int, at dataStart: Int) throws -> Entry {
    guard let info = value as? [String: Any] else {
      throw WeightsError(message: "tensor '\(entry.name)' \(Self.describe(entry.shape)) is missing from '\(file)'")
    }
    guard let shape = Self.integers(info["shape"]), let dtype = info["dtype"] as? String,
      let offsets = Self.integers(info["data_offsets"]), offsets.count == 2
    else {
      throw WeightsError(message: "tensor '\(entry.name)' has a malformed header entry (needs dtype, shape and data_offsets)")
    }
    guard shape == entry.shape else {
      throw WeightsError(message: "tensor '\(entry.name)' has shape \(Self.describe(shape)) in the file; the network expects \(Self.describe(entry.shape))")
    }
    let width: Int
    switch dtype {
    case "F32": width = 4
    case "F16", "BF16": width = 2
    default:
      throw WeightsError(message: "tensor '\(entry.name)' \(Self.describe(shape)) has dtype \(dtype); expected F32 (F16 and BF16 are converted)")
    }
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
    if let values = constants[name] {
      values.withUnsafeBufferPointer { body(0, $0) }
      return
    }
    guard let entry = entries[name] else { return }
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

  /// All of a small tensor (a bias, batch-norm statistics); empty when absent.
  func values(_ name: String) -> [Float] {
    if let values = constants[name] { return values }
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
"""#
}
