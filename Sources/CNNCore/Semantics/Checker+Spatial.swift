/// Spatial arithmetic for convolution, transposed convolution and pooling.
extension Checker {
  mutating func convolutionShape(_ layer: Layer, _ attributes: LayerAttributes, input: Shape,
                                 index: Int) -> Shape? {
    let isDepthwise = layer.kind == .dwconv
    let groups = isDepthwise ? input.channels : attributes.groups
    let outputs = attributes.count ?? (isDepthwise ? input.channels : 0)
    if isDepthwise, outputs % input.channels != 0 {
      error(.groupMismatch,
            "depthwise '\(layer.name)' needs a multiple of its \(input.channels) input channels; found \(outputs)",
            at: layer.range(of: "count"), layer: layer,
            notes: [Diagnostic.Note("\(input.channels) channels are produced here", at: producerRange(of: layer))])
      return nil
    }
    guard checkGroups(layer, groups: groups, input: input.channels, output: outputs),
      let (height, width) = windowOutput(layer, attributes, input: input, index: index, defaultStride: 1)
    else { return nil }
    let kernel = attributes.kernel ?? .square(1)
    checkConstants(layer, attributes,
                   expectedWeights: checkedProduct([outputs, input.channels / groups, kernel.height, kernel.width]),
                   weightShape: "\(outputs)x\(input.channels / groups)x\(kernel.height)x\(kernel.width)",
                   outputs: outputs)
    return Shape(height, width, outputs)
  }

  mutating func poolShape(_ layer: Layer, _ attributes: LayerAttributes, input: Shape, index: Int) -> Shape? {
    guard let kernel = attributes.kernel else { return nil }
    if case .explicit(let pad) = attributes.padding,
      max(pad.top, pad.bottom) > kernel.height / 2 || max(pad.left, pad.right) > kernel.width / 2 {
      error(.poolPadding,
            "pooling padding must be at most half the kernel (PyTorch's limit); kernel \(kernel) allows \(kernel.height / 2)x\(kernel.width / 2)",
            at: layer.range(of: "pad"), layer: layer)
      return nil
    }
    guard let (height, width) = windowOutput(layer, attributes, input: input, index: index,
                                             defaultStride: nil)
    else { return nil }
    return Shape(height, width, input.channels)
  }

  /// Resolves padding and stride, applies the window rule on both axes and reports
  /// non-integral sizes that drop real input (the contract's "exact" rule).
  mutating func windowOutput(_ layer: Layer, _ attributes: LayerAttributes, input: Shape, index: Int,
                             defaultStride: Int?) -> (Int, Int)? {
    let kernel = attributes.kernel ?? .square(1)
    let stride = attributes.stride ?? (defaultStride.map(Dims.square) ?? kernel)
    let dilation = attributes.dilation
    guard let pad = resolvePadding(attributes.padding, input: input, kernel: kernel, stride: stride,
                                   dilation: dilation)
    else { return overflow(layer).map { _ in (0, 0) } }
    windows[index] = Window(kernel: kernel, stride: stride, padding: pad, dilation: dilation)
    let rows = WindowAxis(input: input.height, kernel: kernel.height, stride: stride.height,
                          dilation: dilation.height, padBegin: pad.top, padEnd: pad.bottom)
    let columns = WindowAxis(input: input.width, kernel: kernel.width, stride: stride.width,
                             dilation: dilation.width, padBegin: pad.left, padEnd: pad.right)
    guard let rowReach = rows.reach, let columnReach = columns.reach else {
      return overflow(layer).map { _ in (0, 0) }
    }
    if rowReach < 0 || columnReach < 0 {
      let dilated = Dims(rows.span ?? 0, columns.span ?? 0)
      error(.kernelTooLarge,
            "'\(layer.name)' kernel \(kernel)\(dilation == Dims(1, 1) ? "" : " (\(dilated) dilated)") "
              + "is larger than its padded input \(rows.padded ?? 0)x\(columns.padded ?? 0)",
            at: layer.range(of: "kernel"), layer: layer,
            notes: [Diagnostic.Note("the input is \(input) here", at: producerRange(of: layer))])
      return nil
    }
    let rounding = attributes.rounding ?? network.rounding
    if rounding == .exact && (rows.dropsInput || columns.dropsInput) {
      reportUnread(layer, attributes, rows: rows, columns: columns, input: input)
      return nil
    }
    let effective: Rounding = rounding == .ceil ? .ceil : .floor
    guard let height = rows.length(effective), let width = columns.length(effective) else { return nil }
    return (height, width)
  }

  func resolvePadding(_ padding: Padding, input: Shape, kernel: Dims, stride: Dims, dilation: Dims) -> Insets? {
    switch padding {
    case .explicit(let insets): return insets
    case .same:
      guard let (top, bottom) = WindowAxis.samePadding(input: input.height, kernel: kernel.height,
                                                       stride: stride.height, dilation: dilation.height),
        let (left, right) = WindowAxis.samePadding(input: input.width, kernel: kernel.width,
                                                   stride: stride.width, dilation: dilation.width)
      else { return nil }
      return Insets(top: top, left: left, bottom: bottom, right: right)
    }
  }

  /// Transposed: `out = (in - 1)*stride - padBegin - padEnd + dilation*(k-1) + outpad + 1`.
  mutating func transposedShape(_ layer: Layer, _ attributes: LayerAttributes, input: Shape,
                                index: Int) -> Shape? {
    guard let outputs = attributes.count, let kernel = attributes.kernel,
      case .explicit(let pad) = attributes.padding
    else { return nil }
    let stride = attributes.stride ?? .square(1)
    let dilation = attributes.dilation
    let outpad = attributes.outputPadding
    if outpad.height >= max(stride.height, dilation.height) || outpad.width >= max(stride.width, dilation.width) {
      error(.outputPaddingTooLarge,
            "'outpad' must be smaller than the stride or the dilation (PyTorch's limit); found \(outpad) with stride \(stride)",
            at: layer.range(of: "outpad"), layer: layer)
      return nil
    }
    guard checkGroups(layer, groups: attributes.groups, input: input.channels, output: outputs) else { return nil }
    windows[index] = Window(kernel: kernel, stride: stride, padding: pad, dilation: dilation)
    func axis(_ size: Int, _ s: Int, _ d: Int, _ k: Int, _ pb: Int, _ pe: Int, _ op: Int) -> Int? {
      guard let grown = checkedProduct([size - 1, s]), let dilated = checkedProduct([d, k - 1]),
        let total = checkedSum([grown, dilated, op, 1])
      else { return nil }
      return total - pb - pe
    }
    guard let height = axis(input.height, stride.height, dilation.height, kernel.height, pad.top, pad.bottom, outpad.height),
      let width = axis(input.width, stride.width, dilation.width, kernel.width, pad.left, pad.right, outpad.width)
    else { return overflow(layer) }
    guard height > 0, width > 0 else {
      error(.emptyOutput, "'\(layer.name)' produces an empty \(height)x\(width) output: the padding removes more than the kernel adds",
            at: layer.range(of: "pad"), layer: layer)
      return nil
    }
    checkConstants(layer, attributes,
                   expectedWeights: checkedProduct([input.channels, outputs / attributes.groups, kernel.height, kernel.width]),
                   weightShape: "\(input.channels)x\(outputs / attributes.groups)x\(kernel.height)x\(kernel.width)",
                   outputs: outputs)
    return Shape(height, width, outputs)
  }
}
