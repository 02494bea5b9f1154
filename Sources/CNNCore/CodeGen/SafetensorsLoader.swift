/// The safetensors reader and weight packers emitted into every generated file (nested in the
/// network class, so two generated models can live in one module).
///
/// Format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`, then the data
/// (offsets relative to the end of the header). F32 is read as is; F16 and BF16 are widened to
/// Float on load. Every problem is a thrown `WeightsError` whose message names the tensor.
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

/// Reads a safetensors file and checks it against `expected` (PyTorch `state_dict` names).
private static func readWeights(_ url: URL) throws -> [String: [Float]] {
  let data: Data
  do {
    data = try Data(contentsOf: url, options: .mappedIfSafe)
  } catch {
    throw WeightsError(message: "cannot read weights file '\(url.path)': \(error.localizedDescription)")
  }
  return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> [String: [Float]] in
    let bytes = raw.bindMemory(to: UInt8.self)
    guard bytes.count >= 8 else {
      throw WeightsError(message: "'\(url.lastPathComponent)' is not a safetensors file: \(bytes.count) bytes, shorter than the 8-byte header length")
    }
    var length: UInt64 = 0
    for index in 0..<8 { length |= UInt64(bytes[index]) << UInt64(8 * index) }
    guard length <= UInt64(bytes.count - 8) else {
      throw WeightsError(message: "'\(url.lastPathComponent)' is not a safetensors file (or is truncated): its header claims \(length) bytes but the file has \(bytes.count)")
    }
    let dataStart = 8 + Int(length)
    let headerBytes = Data(UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]))
    guard let parsed = try? JSONSerialization.jsonObject(with: headerBytes),
      let header = parsed as? [String: Any]
    else {
      throw WeightsError(message: "'\(url.lastPathComponent)' is not a safetensors file: its header is not a JSON object")
    }
    let known = Set(expected.map(\.name))
    for name in header.keys.sorted() where name != "__metadata__" && !known.contains(name) {
      let shape = integers((header[name] as? [String: Any])?["shape"]).map(describe) ?? "?"
      throw WeightsError(message: "unexpected tensor '\(name)' \(shape) in '\(url.lastPathComponent)': the network has no such parameter")
    }
    var tensors: [String: [Float]] = [:]
    for entry in expected where !entry.ignored {
      guard let info = header[entry.name] as? [String: Any] else {
        throw WeightsError(message: "tensor '\(entry.name)' \(describe(entry.shape)) is missing from '\(url.lastPathComponent)'")
      }
      guard let shape = integers(info["shape"]), let dtype = info["dtype"] as? String,
        let offsets = integers(info["data_offsets"]), offsets.count == 2
      else {
        throw WeightsError(message: "tensor '\(entry.name)' has a malformed header entry (needs dtype, shape and data_offsets)")
      }
      guard shape == entry.shape else {
        throw WeightsError(message: "tensor '\(entry.name)' has shape \(describe(shape)) in the file; the network expects \(describe(entry.shape))")
      }
      let width: Int
      switch dtype {
      case "F32": width = 4
      case "F16", "BF16": width = 2
      default:
        throw WeightsError(message: "tensor '\(entry.name)' \(describe(shape)) has dtype \(dtype); expected F32 (F16 and BF16 are converted)")
      }
      let count = entry.shape.reduce(1, *)
      let begin = offsets[0], end = offsets[1]
      guard begin >= 0, end - begin == count * width, end <= bytes.count - dataStart else {
        throw WeightsError(message: "tensor '\(entry.name)' \(describe(shape)) \(dtype) needs \(count * width) bytes at data offsets \(begin)..<\(end), but the file has \(bytes.count - dataStart) data bytes (truncated?)")
      }
      let base = dataStart + begin
      var values = [Float](repeating: 0, count: count)
      for index in 0..<count {
        let at = base + index * width
        switch dtype {
        case "F32":
          let bits = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
          values[index] = Float(bitPattern: bits)
        case "BF16":
          let bits = UInt32(bytes[at]) << 16 | UInt32(bytes[at + 1]) << 24
          values[index] = Float(bitPattern: bits)
        default:
          values[index] = halfToFloat(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
        }
      }
      tensors[entry.name] = values
    }
    return tensors
  }
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

/// Batch norm as `scale * x + shift`: `scale = weight / sqrt(running_var + eps)`,
/// `shift = bias - running_mean * scale` (computed in Double).
private static func fold(_ tensors: [String: [Float]], _ name: String, epsilon: Double, channels: Int) -> (scale: [Float], shift: [Float]) {
  let weight = tensors[name + ".weight"] ?? []
  let bias = tensors[name + ".bias"] ?? []
  let mean = tensors[name + ".running_mean"] ?? []
  let variance = tensors[name + ".running_var"] ?? []
  var scale = [Float](repeating: 1, count: channels)
  var shift = [Float](repeating: 0, count: channels)
  for c in 0..<min(channels, weight.count, bias.count, mean.count, variance.count) {
    let s = Double(weight[c]) / (Double(variance[c]) + epsilon).squareRoot()
    scale[c] = Float(s)
    shift[c] = Float(Double(bias[c]) - Double(mean[c]) * s)
  }
  return (scale, shift)
}

/// Writes `[group][block][inner][lanes]` weight panels, then `[group][block][lanes]` bias, with
/// a folded batch norm applied per output channel; lanes past the group's channels stay zero.
private static func pack(_ weight: [Float], bias: [Float]?, norm: (scale: [Float], shift: [Float])?, groups: Int, outPerGroup: Int, inner: Int, lanes: Int, into target: UnsafeMutablePointer<Float>) {
  let blocks = (outPerGroup + lanes - 1) / lanes
  let biasBase = groups * blocks * inner * lanes
  for group in 0..<groups {
    for channel in 0..<outPerGroup {
      let c = group * outPerGroup + channel
      let panel = (group * blocks + channel / lanes) * inner * lanes + channel % lanes
      let scale = norm?.scale[c] ?? 1
      for i in 0..<inner where c * inner + i < weight.count {
        target[panel + i * lanes] = weight[c * inner + i] * scale
      }
      let b = bias.map { c < $0.count ? $0[c] : 0 } ?? 0
      target[biasBase + (group * blocks + channel / lanes) * lanes + channel % lanes] = b * scale + (norm?.shift[c] ?? 0)
    }
  }
}

/// Copies weights in PyTorch order (`[out][inner]`), then `[out]` bias, folding a batch norm.
private static func packPlain(_ weight: [Float], bias: [Float]?, norm: (scale: [Float], shift: [Float])?, outputs: Int, inner: Int, biasOffset: Int, into target: UnsafeMutablePointer<Float>) {
  for i in 0..<weight.count {
    target[i] = weight[i] * (norm?.scale[i / inner] ?? 1)
  }
  for c in 0..<outputs {
    let b = bias.map { c < $0.count ? $0[c] : 0 } ?? 0
    target[biasOffset + c] = b * (norm?.scale[c] ?? 1) + (norm?.shift[c] ?? 0)
  }
}
"""#
}
