/// A problem found in a spec, kept as data until a renderer prints it.
///
/// Positions are byte offsets so the checker never needs the line table;
/// text, JSON, SARIF and GitHub output all render this one value.
public struct Diagnostic: Sendable, Equatable {
  public enum Severity: String, Sendable, Comparable {
    case error, warning, note

    private var rank: Int { self == .error ? 2 : self == .warning ? 1 : 0 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
  }

  /// A computed fact attached to a diagnostic ("branch 2 produces 28x28x128 here").
  public struct Note: Sendable, Equatable {
    public var message: String
    public var range: SourceRange?
    public init(_ message: String, at range: SourceRange? = nil) {
      self.message = message
      self.range = range
    }
  }

  public var id: DiagnosticID
  public var severity: Severity
  public var message: String
  /// The span the caret underlines; `label` is printed beside it.
  public var range: SourceRange
  public var label: String?
  public var notes: [Note]
  /// Edits that fix the problem. On an error only when one edit is clearly right.
  public var fixIts: [FixIt]

  public init(
    _ id: DiagnosticID, _ message: String, at range: SourceRange, severity: Severity = .error,
    label: String? = nil, notes: [Note] = [], fixIts: [FixIt] = []
  ) {
    self.id = id
    self.severity = severity
    self.message = message
    self.range = range
    self.label = label
    self.notes = notes
    self.fixIts = fixIts
  }
}

/// A suggested edit: a message plus the text replacements that carry it out.
public struct FixIt: Sendable, Equatable {
  public struct Edit: Sendable, Equatable {
    public var range: SourceRange
    public var replacement: String
    public init(_ range: SourceRange, _ replacement: String) {
      self.range = range
      self.replacement = replacement
    }
  }
  public var message: String
  public var edits: [Edit]
  public init(_ message: String, replacing range: SourceRange, with replacement: String) {
    self.message = message
    self.edits = [Edit(range, replacement)]
  }
}
