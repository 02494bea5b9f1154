/// `lint.stride-exceeds-kernel`: a conv or pooling window that steps further than it reaches.
///
/// With stride `s` and dilated extent `e = d*(k-1) + 1`, windows start `s` apart but cover `e`
/// pixels, so `s - e` of every `s` rows (or columns) are never read by this layer. That is
/// reported unless another reader of the same tensor reads every pixel of that axis: ResNet's
/// `1x1 s2` projection shortcut skips pixels, but the block's main branch reads them all.
struct StrideExceedsKernel: LintRule {
  let id = DiagnosticID.strideExceedsKernel
  let summary = "a conv or pooling stride larger than its (dilated) kernel"

  func check(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    let graph = LintGraph(network)
    var result: [Diagnostic] = []
    for (index, layer) in network.layers.enumerated() {
      guard [.conv, .dwconv, .maxpool, .avgpool].contains(layer.kind), layer.inputs.count == 1,
        let window = network.windows[index]
      else { continue }
      let extent = Self.extent(window)
      let rows = window.stride.height > extent.height
        && !Self.coveredElsewhere(layer.inputs[0], except: index, graph, axis: \.height)
      let columns = window.stride.width > extent.width
        && !Self.coveredElsewhere(layer.inputs[0], except: index, graph, axis: \.width)
      guard rows || columns else { continue }
      result.append(diagnose(index, window: window, extent: extent, rows: rows,
                             columns: columns, graph))
    }
    return result
  }

  /// The dilated window size per axis, `d*(k-1) + 1`.
  static func extent(_ window: Window) -> Dims {
    Dims(window.dilation.height &* (window.kernel.height - 1) &+ 1,
         window.dilation.width &* (window.kernel.width - 1) &+ 1)
  }

  /// Whether another reader of `source` reads every pixel of the axis: a layer without a
  /// window, or a window whose stride does not exceed its extent.
  static func coveredElsewhere(_ source: Int, except layer: Int, _ graph: LintGraph,
                               axis: KeyPath<Dims, Int>) -> Bool {
    graph.readers(of: source).contains { reader in
      guard reader != layer else { return false }
      guard let window = graph.network.windows[reader] else { return true }
      return window.stride[keyPath: axis] <= extent(window)[keyPath: axis]
    }
  }

  private func diagnose(_ index: Int, window: Window, extent: Dims, rows: Bool, columns: Bool,
                        _ graph: LintGraph) -> Diagnostic {
    let layer = graph.layers[index]
    let dilated = window.dilation != Dims(1, 1) ? "dilated " : ""
    var skipped: [String] = []
    if rows {
      let step = window.stride.height
      skipped.append("\(step - extent.height) of every \(step) rows")
    }
    if columns {
      let step = window.stride.width
      skipped.append("\(step - extent.width) of every \(step) columns")
    }
    let stride = window.stride.compact
    return Diagnostic(
      id, "'\(layer.name)' has stride \(stride) but a \(dilated)window of \(extent.compact), so "
        + skipped.joined(separator: " and ") + " are never read",
      at: layer.range(of: "stride"), label: "stride \(stride) > window \(extent.compact)",
      notes: [Diagnostic.Note(
        "make the stride at most \(extent.compact), or the window at least \(stride)")]
        + graph.callNotes(index))
  }
}
