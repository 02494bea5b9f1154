import CNNCore
import Foundation

/// One run of the command line, with its output collected rather than printed so tests can
/// drive it in-process; `CNNC.main` prints and exits.
struct Tool {
  var standardOutput = ""
  var standardError = ""
  /// Whether standard error is a colour terminal (and `NO_COLOR` is unset).
  var colorErrors = false
  /// Diagnostics of every file for the JSON and SARIF formats, printed as one document.
  var collected: [(Diagnostic, SourceFile)] = []
  var readStandardInput: () -> [UInt8] = {
    [UInt8](FileHandle.standardInput.readDataToEndOfFile())
  }

  /// Runs `argv` (without the program name) and returns the exit code.
  mutating func run(_ argv: [String]) -> Int32 {
    let arguments: Arguments
    do {
      arguments = try Arguments.parse(argv)
    } catch {
      standardError += "cnnc: error: \(error.message)\n"
      return 2
    }
    switch arguments.command {
    case .help:
      guard let text = Help.text(for: arguments.helpTopic) else {
        standardError += "cnnc: error: no help for '\(arguments.helpTopic ?? "")'\n"
        return 2
      }
      standardOutput += text
      return 0
    case .version:
      standardOutput += Help.version + "\n"
      return 0
    case .check, .lint, .report, .build:
      let code = arguments.command == .report ? report(arguments)
        : arguments.command == .build ? build(arguments) : check(arguments)
      flushMachineDiagnostics(arguments)
      return code
    }
  }

  /// Reads a spec from a path or standard input (`-`), or reports the I/O error.
  mutating func load(_ path: String) -> SourceFile? {
    if path == "-" { return SourceFile(name: "<stdin>", bytes: readStandardInput()) }
    guard let data = FileManager.default.contents(atPath: path) else {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      let reason = isDirectory.boolValue ? "is a directory" : exists ? "cannot be read" : "no such file"
      standardError += "cnnc: error: '\(path)': \(reason)\n"
      return nil
    }
    return SourceFile(name: path, bytes: [UInt8](data))
  }

  /// Compiles one file and prints its diagnostics; nil when it has errors (or warnings under
  /// `--werror`), with `exitCode` set.
  mutating func compile(_ path: String, _ arguments: Arguments, lint: Bool,
                        exitCode: inout Int32) -> Compilation? {
    guard let source = load(path) else {
      exitCode = 2
      return nil
    }
    var compilation = Compilation(source: source, lint: lint)
    if arguments.werror {
      compilation = compilation.promotingWarnings()
    }
    emit(compilation.diagnostics, source: source, arguments: arguments)
    if compilation.hasErrors {
      exitCode = max(exitCode, 1)
      return nil
    }
    return compilation
  }

  /// Text goes to standard error at once; machine formats are collected so that a run over
  /// several files prints one JSON or SARIF document (`flushMachineDiagnostics`).
  mutating func emit(_ diagnostics: [Diagnostic], source: SourceFile, arguments: Arguments) {
    switch arguments.diagnosticsFormat {
    case .text:
      if !diagnostics.isEmpty {
        standardError += TextRenderer(useColor: colorErrors).render(diagnostics, source: source)
      }
    case .github: standardOutput += GitHubRenderer.render(diagnostics, source: source)
    case .json, .sarif: collected += diagnostics.map { ($0, source) }
    }
  }

  /// Prints the collected JSON or SARIF document: on standard output for `check`/`lint`, on
  /// standard error for commands whose standard output is a product (a report).
  mutating func flushMachineDiagnostics(_ arguments: Arguments) {
    let diagnostics = collected.map(\.0)
    let sources = collected.map(\.1)
    let document: String
    switch arguments.diagnosticsFormat {
    case .json: document = JSONRenderer.value(diagnostics, sources: sources).rendered() + "\n"
    case .sarif:
      document = SARIFRenderer.value(diagnostics, sources: sources, version: Help.version).rendered() + "\n"
    case .text, .github: return
    }
    if arguments.command == .check || arguments.command == .lint {
      standardOutput += document
    } else {
      standardError += document
    }
  }
}
