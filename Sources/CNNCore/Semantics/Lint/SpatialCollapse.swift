/// `lint.spatial-collapse`: a window larger than 1 slid over an axis that has shrunk to 1.
///
/// Once downsampling has brought the height or width to 1 pixel, a 3x3 conv (or pool) there
/// reads one real pixel and padding: its other kernel rows are weights that never see data,
/// and the network has stopped seeing space before its last spatial layers. Usually the input
/// is too small for the architecture, or a stage downsamples once too often.
/// Not reported: 1x1 convs after the collapse (fully connected heads such as MTCNN's), axes
/// that were 1 in the network input (1-D signals), and `deconv`, which grows space (DCGAN).
struct SpatialCollapse: LintRule {
  let id = DiagnosticID.spatialCollapse
  let summary = "spatial windows applied after the height or width has collapsed to 1"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let input = network.network.input
    let offenders = network.layers.indices.filter { index in
      guard [.conv, .dwconv, .maxpool, .avgpool].contains(network.layers[index].kind),
        let window = network.windows[index], let shape = network.inputShapes(of: index).first ?? nil
      else { return false }
      let extent = StrideExceedsKernel.extent(window)
      return (shape.height == 1 && input.height > 1 && extent.height > 1)
        || (shape.width == 1 && input.width > 1 && extent.width > 1)
    }
    guard let first = offenders.first else { return [] }
    return [diagnose(first, others: offenders.count - 1, network)]
  }

  private func diagnose(_ index: Int, others: Int, _ network: CheckedNetwork) -> Diagnostic {
    let graph = LintGraph(network)
    let layer = network.layers[index]
    let shape = network.inputShapes(of: index).first.flatMap { $0 } ?? network.network.input
    let window = network.windows[index].map(StrideExceedsKernel.extent) ?? .square(1)
    var notes: [Diagnostic.Note] = []
    if let collapse = collapsePoint(before: index, network) {
      let from = network.inputShapes(of: collapse).first.flatMap { $0 }
      let size = from.map { " from \($0.height)x\($0.width)" } ?? ""
      notes.append(Diagnostic.Note(
        "'\(network.layers[collapse].name)' reduces it to \(shape.height)x\(shape.width)\(size)",
        at: network.layers[collapse].range))
    }
    if others > 0 {
      let layers = others == 1 ? "layer does" : "layers do"
      notes.append(Diagnostic.Note("\(others) later \(layers) the same"))
    }
    notes.append(Diagnostic.Note("use a larger input, or remove a downsampling step before it"))
    return Diagnostic(
      id, "'\(layer.name)' slides a \(window) window over a \(shape.height)x\(shape.width) "
        + "input: the spatial size has collapsed, so the window reads padding around one pixel",
      at: layer.range, label: "\(window) window on \(shape.height)x\(shape.width)",
      notes: notes + graph.callNotes(index))
  }

  /// The last layer on the main path before `index` that shrank an axis to 1.
  private func collapsePoint(before index: Int, _ network: CheckedNetwork) -> Int? {
    var current = network.layers[index].inputs.first ?? Layer.networkInput
    while current != Layer.networkInput {
      let output = network.shapes[current]
      let input = network.inputShapes(of: current).first.flatMap { $0 }
      if let output, let input,
        (output.height == 1 && input.height > 1) || (output.width == 1 && input.width > 1) {
        return current
      }
      current = network.layers[current].inputs.first ?? Layer.networkInput
    }
    return nil
  }
}
