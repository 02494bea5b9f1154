/// The memory model shared by `cnnc report` (`peakActivationBytes`) and the code generator (the
/// activation arena): which layer outputs share storage, and which storages are alive when.
///
/// Layers run one at a time in execution order; layer `i` is step `i`. Storage rules:
/// - **In place.** An element-wise layer (`bn`, `dropout`, `identity`, `softmax`, an activation,
///   `flatten order=chw`) or an `add` writes over an input when that input is a layer output (not
///   the network input) that nothing else reads and that is not a network output. An `add` takes
///   the first such input; its other inputs are read at the same position.
/// - **Zero-copy concat.** A `concat` input that is a layer output read by nothing else and not a
///   network output is produced directly inside the concat's storage, at its channel offset (in
///   C,H,W layout a channel slice is one contiguous block). Only the other inputs are copied.
/// - Every other layer output is a storage of its own.
///
/// A storage is alive from the first step that writes any of its tensors to the last step that
/// reads any of them; a network output stays alive to the end, an output nobody reads only during
/// its own step. While a step runs, its inputs and its output are alive. The peak is the largest
/// sum, over steps, of the elements of the storages alive then. The network input is the caller's
/// memory and is **not** in the peak (`inputElements` and `inputLastUse` describe it).
public struct Liveness: Sendable {
  /// Where one layer's output lives.
  public struct Placement: Sendable, Equatable {
    /// Index into `storages`.
    public var storage: Int
    /// Float offset of the output inside the storage.
    public var offset: Int
  }

  /// One block of activation memory and the steps during which it is alive (inclusive).
  public struct Storage: Sendable, Equatable {
    public var elements: Int
    public var first: Int
    public var last: Int
  }

  /// How a layer's output came to share memory.
  public enum Sharing: Sendable, Equatable {
    /// Its own storage (or the root of one).
    case own
    /// Written over its input `source` (element-wise layers, `add`).
    case inPlace(source: Int)
    /// A no-op (`identity`, `dropout`) whose input has other readers, read only by a `concat`:
    /// the same memory as `source`, which then becomes the concat's slice.
    case view(source: Int)
  }

  public var placements: [Placement]
  public var storages: [Storage]
  public var sharing: [Sharing]
  /// For each layer, whether the concat that reads it has it written in place (zero-copy).
  public var isConcatSlice: [Bool]
  /// Largest sum of alive storages over the steps, in floats (nil on Int overflow).
  public var peakElements: Int?
  /// The network input (caller memory), in floats, and the last step that reads it (-1: none).
  public var inputElements: Int
  public var inputLastUse: Int

  /// The peak in fp32 bytes, nil on overflow.
  public var peakBytes: Int? { peakElements.flatMap { checkedProduct([$0, 4]) } }

  /// Kinds that may overwrite their single input: element-wise or a pure reshape.
  public static func isElementwise(_ layer: Layer) -> Bool {
    switch layer.kind {
    case .bn, .dropout, .identity, .softmax: return true
    case .flatten: return (layer.attributes?.order ?? .chw) == .chw
    default: return layer.kind.isActivation
    }
  }

  /// `identity`/`dropout` of a layer output `source` that other layers read too (a ResNet
  /// shortcut, an Inception pass-through), itself read once and not a network output: the same
  /// memory as `source` (read by a `concat`, `source` then becomes the concat's slice). Nothing
  /// writes over a storage while a value in it is still to be read (`init`'s `safe`), so the
  /// view and its source cannot disagree.
  static func isView(_ layer: Layer, source: Int, private: Bool, sourceIsOutput: Bool) -> Bool {
    (layer.kind == .identity || layer.kind == .dropout) && layer.inputs.count == 1 && source >= 0
      && !sourceIsOutput && `private`
  }

  public init(_ checked: CheckedNetwork) {
    let layers = checked.layers
    let count = layers.count
    var readers = Array(repeating: 0, count: count)
    var lastRead = Array(0..<count)
    var inputLastUse = -1
    for (step, layer) in layers.enumerated() {
      for input in layer.inputs {
        if input >= 0 {
          readers[input] += 1
          lastRead[input] = max(lastRead[input], step)
        } else {
          inputLastUse = step
        }
      }
    }
    let outputs = Set(checked.network.outputs)
    for output in outputs where output >= 0 && output < count { lastRead[output] = count }
    func isPrivate(_ input: Int) -> Bool {
      input >= 0 && readers[input] == 1 && !outputs.contains(input)
    }

    // Storages form a forest: a concat slice points at its concat's storage.
    var parent: [(storage: Int, offset: Int)?] = []
    var elements: [Int] = []
    var first: [Int] = []
    var last: [Int] = []
    var placements: [Placement] = []
    var sharing: [Sharing] = []
    var isConcatSlice = Array(repeating: false, count: count)
    func rootStorage(_ storage: Int) -> Int {
      var current = storage
      while let up = parent[current] { current = up.storage }
      return current
    }
    // `last[s]` of a root: the last read of any value in its tree so far. Step `step` may write
    // over `input` only when nothing in that memory is read after `step`.
    func safe(_ input: Int, _ step: Int) -> Bool {
      isPrivate(input) && last[rootStorage(placements[input].storage)] <= step
    }
    func join(_ value: Int, to placement: Placement) {
      placements.append(placement)
      let root = rootStorage(placement.storage)
      last[root] = max(last[root], lastRead[value])
    }
    for (step, layer) in layers.enumerated() {
      let size = checked.shapes[step]?.elementCount ?? 0
      let source: Int? =
        layer.kind == .add
        ? layer.inputs.first(where: { safe($0, step) })
        : (Self.isElementwise(layer) && layer.inputs.count == 1 && safe(layer.inputs[0], step)
          ? layer.inputs[0] : nil)
      if let source {
        join(step, to: placements[source])
        sharing.append(.inPlace(source: source))
        continue
      }
      if let source = layer.inputs.first,
        Self.isView(layer, source: source, private: isPrivate(step), sourceIsOutput: outputs.contains(source))
      {
        join(step, to: placements[source])
        sharing.append(.view(source: source))
        continue
      }
      let storage = elements.count
      parent.append(nil)
      elements.append(size)
      first.append(step)
      last.append(lastRead[step])
      placements.append(Placement(storage: storage, offset: 0))
      sharing.append(.own)
      guard layer.kind == .concat else { continue }
      var offset = 0
      for input in layer.inputs {
        let partSize = input >= 0 ? checked.shapes[input]?.elementCount ?? 0 : checked.network.input.elementCount ?? 0
        if isPrivate(input), placements[input].offset == 0, parent[placements[input].storage] == nil,
          elements[placements[input].storage] == partSize
        {
          let part = placements[input].storage
          parent[part] = (storage, offset)
          last[storage] = max(last[storage], last[part])
          first[storage] = min(first[storage], first[part])
          isConcatSlice[input] = true
        }
        offset += partSize
      }
    }
    // Resolve every placement to its root storage; fold lifetimes into the roots.
    func root(_ placement: Placement) -> Placement {
      var current = placement
      while let up = parent[current.storage] {
        current = Placement(storage: up.storage, offset: up.offset + current.offset)
      }
      return current
    }
    for step in 0..<count {
      let storage = root(placements[step]).storage
      first[storage] = min(first[storage], step)
      last[storage] = max(last[storage], lastRead[step])
    }
    var rootIndex = Array(repeating: -1, count: elements.count)
    var storages: [Storage] = []
    for index in elements.indices where parent[index] == nil {
      rootIndex[index] = storages.count
      storages.append(Storage(elements: elements[index], first: first[index], last: last[index]))
    }
    self.placements = placements.map { placement in
      let resolved = root(placement)
      return Placement(storage: rootIndex[resolved.storage], offset: resolved.offset)
    }
    self.storages = storages
    self.sharing = sharing
    self.isConcatSlice = isConcatSlice
    self.inputElements = checked.network.input.elementCount ?? 0
    self.inputLastUse = inputLastUse
    self.peakElements = Self.peak(storages, steps: count)
  }

  /// Largest sum of the storages alive at one step (sweep over births and deaths).
  static func peak(_ storages: [Storage], steps: Int) -> Int? {
    var total = 0
    for storage in storages {
      let (sum, overflow) = total.addingReportingOverflow(storage.elements)
      if overflow { return nil }
      total = sum
    }
    // No partial sum below exceeds `total`.
    var born = Array(repeating: 0, count: steps + 1)
    var dying = Array(repeating: 0, count: steps + 2)
    for storage in storages {
      born[storage.first] += storage.elements
      dying[storage.last + 1] += storage.elements
    }
    var live = 0
    var peak = 0
    for step in 0..<max(steps, 1) {
      live += born[step] - dying[step]
      peak = max(peak, live)
    }
    return peak
  }
}
