import CNNCore
import Foundation

/// Writes safetensors files from tests (and deterministic weights for a network).
enum SafetensorsWriter {
  struct Entry {
    var name: String
    var dtype = "F32"
    var shape: [Int]
    var bytes: [UInt8]

    init(name: String, shape: [Int], values: [Float]) {
      self.name = name
      self.shape = shape
      // Every platform Swift runs on is little-endian, as safetensors is: the floats' own bytes.
      // (Byte by byte, a debug build took ~20 s for the 28 M weights some kernel tests write.)
      bytes = values.withUnsafeBytes { Array($0) }
    }

    init(name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
      (self.name, self.dtype, self.shape, self.bytes) = (name, dtype, shape, bytes)
    }
  }

  /// The file's bytes; `rewrite` may change the JSON header's text (the data offsets stay).
  static func data(_ entries: [Entry], metadata: Bool = true, rewrite: (String) -> String = { $0 }) -> Data {
    var parts: [String] = metadata ? ["\"__metadata__\":{\"format\":\"pt\"}"] : []
    var offset = 0
    var body: [UInt8] = []
    for entry in entries {
      let shape = entry.shape.map(String.init).joined(separator: ",")
      parts.append("\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
      offset += entry.bytes.count
      body += entry.bytes
    }
    var header = Array(rewrite("{" + parts.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }
    bytes += header + body
    return Data(bytes)
  }

  /// Deterministic values in [-scale, scale] (a 32-bit LCG), the same on every run.
  static func values(_ count: Int, seed: Int, scale: Float) -> [Float] {
    var state = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 12345)
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      for index in 0..<count {
        state = state &* 1_664_525 &+ 1_013_904_223
        buffer[index] = (Float(state >> 8) / Float(1 << 24) * 2 - 1) * scale
      }
      initialized = count
    }
  }

  /// Every tensor a PyTorch `state_dict` of the network holds, with deterministic values
  /// (BN running variances positive; `num_batches_tracked` as an I64 scalar).
  static func weights(for checked: CheckedNetwork) -> (entries: [Entry], tensors: [String: [Float]]) {
    var entries: [Entry] = []
    var tensors: [String: [Float]] = [:]
    func add(_ name: String, _ shape: [Int], scale: Float, offset: Float = 0) {
      let count = shape.reduce(1, *)
      let values = self.values(count, seed: entries.count + 1, scale: scale).map { $0 + offset }
      entries.append(Entry(name: name, shape: shape, values: values))
      tensors[name] = values
    }
    for (index, layer) in checked.layers.enumerated() {
      guard let a = layer.attributes, let out = checked.shapes[index],
        let input = checked.inputShapes(of: index).first ?? nil else { continue }
      let name = layer.name
      var shape: [Int] = []
      switch layer.kind {
      case .conv, .dwconv:
        let w = checked.windows[index]!
        let groups = layer.kind == .dwconv ? input.channels : a.groups
        shape = [out.channels, input.channels / groups, w.kernel.height, w.kernel.width]
      case .deconv:
        let w = checked.windows[index]!
        shape = [input.channels, out.channels / a.groups, w.kernel.height, w.kernel.width]
      case .fc: shape = [out.channels, input.elementCount!]
      case .bn:
        add(name + ".weight", [out.channels], scale: 0.5, offset: 1)
        add(name + ".bias", [out.channels], scale: 0.5)
        add(name + ".running_mean", [out.channels], scale: 0.5)
        add(name + ".running_var", [out.channels], scale: 0.4, offset: 1)
        entries.append(Entry(name: name + ".num_batches_tracked", dtype: "I64", shape: [], bytes: [7, 0, 0, 0, 0, 0, 0, 0]))
        continue
      case .prelu:
        add(name + ".weight", [out.channels], scale: 0.3, offset: 0.2)
        continue
      default: continue
      }
      guard a.constantWeights == nil else { continue }
      let fanIn = layer.kind == .deconv ? shape[0] : shape.dropFirst().reduce(1, *)
      add(name + ".weight", shape, scale: 1.5 / Float(fanIn).squareRoot())
      if a.hasBias { add(name + ".bias", [out.channels], scale: 0.2) }
    }
    return (entries, tensors)
  }
}
