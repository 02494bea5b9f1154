/// The syntax tree of a spec file, before `def`s, `repeat`s and parameters are expanded.
///
/// Words stay words here: `11x11`, `s4` and `k` (a def parameter) mean something only once
/// the expander has substituted parameters and knows the layer kind.

/// A word as written, with where it was written.
public struct Word: Sendable, Equatable {
  public var text: String
  public var range: SourceRange
  public init(_ text: String, _ range: SourceRange) {
    self.text = text
    self.range = range
  }
}

/// One argument of a layer: positional (`96`, `11x11`, `s4`, `1,2,4`) or named (`pad=1x2`,
/// `weights=[1,0,-1]`). `values` has several words for comma lists and bracket lists.
public struct Argument: Sendable, Equatable {
  public var name: Word?
  public var values: [Word]
  /// True for `[…]` lists, which only constant weights and biases use.
  public var isBracketList: Bool
  public var range: SourceRange
}

/// `kind args…`, e.g. `conv 96 11x11 s4`.
public struct LayerSyntax: Sendable, Equatable {
  public var kind: Word
  public var arguments: [Argument]
}

/// `concat { … }` or `add { … }`: branches, each a sequence fed by the block's input.
public struct BlockSyntax: Sendable, Equatable {
  public enum Join: String, Sendable { case concat, add }
  public var join: Join
  public var keyword: Word
  public var branches: [Pipeline]
  public var closeRange: SourceRange
  /// True when an error was reported inside the block: an empty block is then not news.
  public var hasErrors = false
}

/// `name(64, s=2)`: a use of a `def`.
public struct CallSyntax: Sendable, Equatable {
  public var name: Word
  /// `(name, value)`; `name` is nil for positional arguments.
  public var arguments: [(name: Word?, value: Word)]

  public static func == (lhs: CallSyntax, rhs: CallSyntax) -> Bool {
    lhs.name == rhs.name && lhs.arguments.count == rhs.arguments.count
      && zip(lhs.arguments, rhs.arguments).allSatisfy { $0.name == $1.name && $0.value == $1.value }
  }
}

/// `repeat N { … }`.
public struct RepeatSyntax: Sendable, Equatable {
  public var keyword: Word
  public var count: Word
  public var body: Pipeline
}

/// One element of a sequence, optionally labelled (`conv1: conv 96 11x11`).
public struct Step: Sendable, Equatable {
  public indirect enum Kind: Sendable, Equatable {
    case layer(LayerSyntax)
    case block(BlockSyntax)
    case call(CallSyntax)
    case `repeat`(RepeatSyntax)
    /// `@label`: the following steps read that layer's output instead of the previous step's.
    case reference(Word)
  }
  public var label: Word?
  public var kind: Kind
  public var range: SourceRange
}

/// Steps that feed one another in order; `@label` steps restart the chain.
public typealias Pipeline = [Step]

/// `def name(p, q=3) { … }`.
public struct Definition: Sendable, Equatable {
  public struct Parameter: Sendable, Equatable {
    public var name: Word
    public var defaultValue: Word?
  }
  public var name: Word
  public var parameters: [Parameter]
  public var body: Pipeline
  public var range: SourceRange
}

/// The header lines: `network`, `input`, `rounding`.
public struct Header: Sendable, Equatable {
  public var networkName: Word?
  public var input: Word?
  public var rounding: Word?
}

/// A parsed spec file.
public struct SpecFile: Sendable, Equatable {
  public var header = Header()
  public var definitions: [Definition] = []
  public var body: Pipeline = []
  /// `output @a, @b`, with the range of the whole line (outputs must follow their layers).
  public var outputs: [Word] = []
  public var outputRange: SourceRange?
}
