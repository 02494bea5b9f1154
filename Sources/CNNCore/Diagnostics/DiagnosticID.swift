/// A stable diagnostic identifier such as `spatial.non-integral`.
///
/// Ids are part of the command-line contract (scripts and CI filter on them): they are listed
/// in `docs/diagnostics.md`, each has a golden test, and an id is never reused for another rule.
public struct DiagnosticID: RawRepresentable, Hashable, Sendable, Comparable {
  public var rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The catalog: one member per id, sorted by id.
extension DiagnosticID {
  public static let emptyBlock = Self(rawValue: "block.empty")
  public static let biasCount = Self(rawValue: "channels.bias-count")
  public static let branchMismatch = Self(rawValue: "channels.branch-mismatch")
  public static let groupMismatch = Self(rawValue: "channels.groups")
  public static let weightCount = Self(rawValue: "channels.weight-count")
  public static let definitionAfterUse = Self(rawValue: "def.before-definition")
  public static let duplicateDefinition = Self(rawValue: "def.duplicate")
  public static let recursiveDefinition = Self(rawValue: "def.recursive")
  public static let unknownDefinition = Self(rawValue: "def.unknown")
  public static let unknownParameter = Self(rawValue: "def.unknown-parameter")
  public static let tooManyDiagnostics = Self(rawValue: "diagnostics.too-many")
  public static let tooManyLayers = Self(rawValue: "expand.too-many-layers")
  public static let missingInput = Self(rawValue: "header.missing-input")
  public static let activationAfterSoftmax = Self(rawValue: "lint.activation-after-softmax")
  public static let biasBeforeBatchNorm = Self(rawValue: "lint.bias-before-bn")
  public static let consecutiveLinear = Self(rawValue: "lint.consecutive-linear")
  public static let dropoutBeforeOutput = Self(rawValue: "lint.dropout-before-output")
  public static let fcDominates = Self(rawValue: "lint.fc-dominates")
  public static let softmaxNotLast = Self(rawValue: "lint.softmax-not-last")
  public static let spatialCollapse = Self(rawValue: "lint.spatial-collapse")
  public static let strideExceedsKernel = Self(rawValue: "lint.stride-exceeds-kernel")
  public static let unusedDefinition = Self(rawValue: "lint.unused-definition")
  public static let unusedLabel = Self(rawValue: "lint.unused-label")
  public static let duplicateName = Self(rawValue: "name.duplicate")
  public static let outputBeforeLayer = Self(rawValue: "name.output-before-layer")
  public static let unknownLabel = Self(rawValue: "name.unknown-label")
  public static let emptyNetwork = Self(rawValue: "network.empty")
  public static let concatMismatch = Self(rawValue: "shape.concat-mismatch")
  public static let sizeOverflow = Self(rawValue: "shape.overflow")
  public static let emptyOutput = Self(rawValue: "spatial.empty-output")
  public static let kernelTooLarge = Self(rawValue: "spatial.kernel-too-large")
  public static let nonIntegral = Self(rawValue: "spatial.non-integral")
  public static let outputPaddingTooLarge = Self(rawValue: "spatial.outpad")
  public static let poolPadding = Self(rawValue: "spatial.pool-padding")
  public static let duplicateHeader = Self(rawValue: "syntax.duplicate-header")
  public static let duplicateOption = Self(rawValue: "syntax.duplicate-option")
  public static let expectedLayer = Self(rawValue: "syntax.expected-layer")
  public static let expectedValue = Self(rawValue: "syntax.expected-value")
  public static let headerAfterLayer = Self(rawValue: "syntax.header-after-layer")
  public static let invalidLabel = Self(rawValue: "syntax.invalid-label")
  public static let invalidUTF8 = Self(rawValue: "syntax.invalid-utf8")
  public static let invalidValue = Self(rawValue: "syntax.invalid-value")
  public static let lineTooLong = Self(rawValue: "syntax.line-too-long")
  public static let misplacedDefinition = Self(rawValue: "syntax.misplaced-def")
  public static let missingArgument = Self(rawValue: "syntax.missing-argument")
  public static let nestingTooDeep = Self(rawValue: "syntax.nesting-too-deep")
  public static let nulByte = Self(rawValue: "syntax.nul-byte")
  public static let referenceAfterPipe = Self(rawValue: "syntax.reference-after-pipe")
  public static let semicolonOutsideBlock = Self(rawValue: "syntax.semicolon-outside-block")
  public static let trailingPipe = Self(rawValue: "syntax.trailing-pipe")
  public static let unclosedBlock = Self(rawValue: "syntax.unclosed-block")
  public static let unexpectedArgument = Self(rawValue: "syntax.unexpected-argument")
  public static let unexpectedCharacter = Self(rawValue: "syntax.unexpected-character")
  public static let unexpectedToken = Self(rawValue: "syntax.unexpected-token")
  public static let unknownLayer = Self(rawValue: "syntax.unknown-layer")
  public static let unknownOption = Self(rawValue: "syntax.unknown-option")

  /// Every id, sorted; tests check each has a golden file and a docs entry.
  public static let all: [DiagnosticID] = [
    .emptyBlock, .biasCount, .branchMismatch, .groupMismatch, .weightCount, .definitionAfterUse,
    .duplicateDefinition, .recursiveDefinition, .unknownDefinition, .unknownParameter,
    .tooManyDiagnostics, .tooManyLayers, .missingInput, .activationAfterSoftmax,
    .biasBeforeBatchNorm, .consecutiveLinear, .dropoutBeforeOutput, .fcDominates, .softmaxNotLast,
    .spatialCollapse, .strideExceedsKernel, .unusedDefinition, .unusedLabel, .duplicateName,
    .outputBeforeLayer, .unknownLabel, .emptyNetwork, .concatMismatch, .sizeOverflow,
    .emptyOutput, .kernelTooLarge, .nonIntegral, .outputPaddingTooLarge, .poolPadding,
    .duplicateHeader, .duplicateOption, .expectedLayer, .expectedValue, .headerAfterLayer,
    .invalidLabel, .invalidUTF8, .invalidValue, .lineTooLong, .misplacedDefinition,
    .missingArgument, .nestingTooDeep, .nulByte, .referenceAfterPipe, .semicolonOutsideBlock,
    .trailingPipe, .unclosedBlock, .unexpectedArgument, .unexpectedCharacter, .unexpectedToken,
    .unknownLayer, .unknownOption,
  ]
}

extension Diagnostic {
  static func tooManyDiagnostics(limit: Int, at range: SourceRange) -> Diagnostic {
    Diagnostic(.tooManyDiagnostics, "too many diagnostics; stopped after \(limit)", at: range, severity: .note)
  }
}
