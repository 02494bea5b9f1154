/// Every layer kind of the language, with the keywords, arguments and options each accepts.
///
/// One row per fact (QBE's `ops.h`): adding a layer means adding a case here, its shape rule in
/// `ShapeRules.swift`, its cost in `CostModel.swift` and its kernel in code generation.
public enum LayerKind: String, CaseIterable, Sendable, Codable {
  case conv, dwconv, deconv, fc, flatten, maxpool, avgpool, gap, gmp, adaptiveavgpool, spp
  case bn, lrn, dropout, relu, relu6, leakyrelu, prelu, elu, sigmoid, tanh, swish, hswish
  case hsigmoid, softmax, identity, upsample, zeropad
  /// Joins made by `concat { … }` and `add { … }` blocks; never written as a layer.
  case concat, add

  /// Alternative spellings: `dense`/`linear` are `fc`, `silu` is `swish`.
  public static let aliases: [String: LayerKind] = ["dense": .fc, "linear": .fc, "silu": .swish]

  /// Looks a keyword up, aliases included; joins are not layer keywords.
  public static func named(_ keyword: String) -> LayerKind? {
    if let alias = aliases[keyword] { return alias }
    guard let kind = LayerKind(rawValue: keyword), !kind.isJoin else { return nil }
    return kind
  }

  /// Every word that may start a layer, for "did you mean" suggestions.
  public static var keywords: [String] {
    allCases.filter { !$0.isJoin }.map(\.rawValue) + aliases.keys.sorted()
  }

  public var isJoin: Bool { self == .concat || self == .add }

  /// What a positional argument means, in order.
  public enum Slot: Sendable, Equatable {
    /// A positive count: output channels, units, LRN size.
    case count
    case kernel
    /// A non-negative real: dropout probability, slope.
    case real
    /// `HxW` or `N` (adaptive pooling size, upsampling factor).
    case size
    /// `1,2,4`: spp grid sizes.
    case gridList
    /// `P`, `HxW` or `top,left,bottom,right` (zeropad).
    case padding
  }

  /// The positional arguments in order; `requiredSlots` of them must be present.
  public var slots: [Slot] {
    switch self {
    case .conv, .deconv, .dwconv: return [.count, .kernel]
    case .fc, .lrn: return [.count]
    case .maxpool, .avgpool: return [.kernel]
    case .adaptiveavgpool, .upsample: return [.size]
    case .spp: return [.gridList]
    case .dropout, .leakyrelu, .elu: return [.real]
    case .zeropad: return [.padding]
    default: return []
    }
  }

  public var requiredSlots: Int {
    switch self {
    case .conv, .deconv: return 2
    case .dwconv, .fc, .lrn, .maxpool, .avgpool, .adaptiveavgpool, .upsample, .spp, .zeropad:
      return 1
    default: return 0
    }
  }

  /// Named options this kind accepts (short forms `s4 p2 g2 d2 floor ceil` map onto these).
  public var options: Set<LayerOption> {
    switch self {
    case .conv, .dwconv:
      return [.kernel, .stride, .pad, .groups, .dilation, .bias, .rounding, .weights]
    case .deconv: return [.kernel, .stride, .pad, .groups, .dilation, .bias, .outpad, .weights]
    case .fc: return [.bias, .weights]
    case .flatten: return [.order]
    case .maxpool: return [.kernel, .stride, .pad, .dilation, .rounding]
    case .avgpool: return [.kernel, .stride, .pad, .rounding, .countIncludePad]
    case .bn: return [.eps, .momentum]
    case .lrn: return [.alpha, .beta, .k]
    default: return []
    }
  }

  /// Kinds with weights that a PyTorch `state_dict` names.
  public var hasParameters: Bool {
    [.conv, .dwconv, .deconv, .fc, .bn, .prelu].contains(self)
  }

  /// Element-wise activations (the lint rules and the code generator treat them alike).
  public var isActivation: Bool {
    [.relu, .relu6, .leakyrelu, .prelu, .elu, .sigmoid, .tanh, .swish, .hswish, .hsigmoid]
      .contains(self)
  }
}

/// Named options; `name=value` spellings are the raw values.
public enum LayerOption: String, CaseIterable, Sendable {
  case kernel, stride, pad, groups, dilation, bias, outpad, weights, order, eps, momentum
  case alpha, beta, k
  case countIncludePad = "count_include_pad"
  /// `floor` / `ceil` words; not written as `name=value`.
  case rounding
}
