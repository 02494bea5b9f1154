import Foundation

/// The pipeline: source in, diagnostics and products out.
///
/// Each stage runs even after earlier errors (on what could be understood), so one run reports
/// every independent problem; products are only offered when there are no errors.
public struct Compilation: Sendable {
  public let source: SourceFile
  public let syntax: SpecFile
  /// Nil when the file has no usable `input` line.
  public let checked: CheckedNetwork?
  public private(set) var diagnostics: [Diagnostic]

  public init(source: SourceFile, lint: Bool = false) {
    self.source = source
    var engine = DiagnosticEngine()
    let (file, syntaxDiagnostics) = Parser.parse(source)
    syntaxDiagnostics.forEach { engine.emit($0) }
    let (network, expansionDiagnostics) = Expander.expand(file, source: source)
    expansionDiagnostics.forEach { engine.emit($0) }
    var checked: CheckedNetwork?
    if let network {
      let (result, checkDiagnostics) = Checker.check(network)
      checkDiagnostics.forEach { engine.emit($0) }
      checked = result
      // Only when nothing else went wrong: a parse error may be why no layer was read.
      if network.layers.isEmpty && !engine.hasErrors {
        engine.emit(Diagnostic(
          .emptyNetwork, "the network has no layers; add at least one after 'input'",
          at: network.inputRange, notes: [Diagnostic.Note("for example: 'conv 16 3x3 p1 | relu'")]))
      }
      if lint && !engine.hasErrors {
        Linter.lint(result, syntax: file).forEach { engine.emit($0) }
      }
    }
    self.syntax = file
    self.checked = checked
    self.diagnostics = engine.finished()
  }

  public init(name: String, text: String, lint: Bool = false) {
    self.init(source: SourceFile(name: name, text: text), lint: lint)
  }

  /// Reads and compiles a file; throws only for I/O problems.
  public init(path: String, lint: Bool = false) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    self.init(source: SourceFile(name: path, bytes: [UInt8](data)), lint: lint)
  }

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  /// The checked network when the spec has no errors.
  public var network: CheckedNetwork? { hasErrors ? nil : checked }
}

extension Compilation {
  /// `--werror`: the same compilation with every warning reported as an error.
  public func promotingWarnings() -> Compilation {
    var copy = self
    copy.diagnostics = diagnostics.map { diagnostic in
      var promoted = diagnostic
      if promoted.severity == .warning { promoted.severity = .error }
      return promoted
    }
    return copy
  }
}
