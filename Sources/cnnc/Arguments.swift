/// The parsed command line of one `cnnc` invocation.
///
/// Hand-written rather than swift-argument-parser because the project takes no dependencies;
/// every mistake is a one-line message and exit code 2, as `cli.md` requires.
struct Arguments: Equatable {
  enum Command: String, Equatable {
    case check, lint, report, build, help, version
  }
  enum DiagnosticsFormat: String, Equatable, CaseIterable {
    case text, json, sarif, github
  }

  var command: Command = .help
  var files: [String] = []
  var diagnosticsFormat = DiagnosticsFormat.text
  var werror = false
  var quiet = false
  var reportFormat = "text"
  var depth: Int?
  var output: String?
  var targetCPU: String?
  var helpTopic: String?

  struct UsageError: Error, Equatable {
    var message: String
  }

  static let commands = ["check", "lint", "report", "build", "help"]

  /// Parses `argv` without the program name.
  static func parse(_ argv: [String]) throws(UsageError) -> Arguments {
    var arguments = Arguments()
    var rest = argv[...]
    guard let first = rest.first else { return arguments }
    if let command = Command(rawValue: first), commands.contains(first) {
      arguments.command = command
      rest = rest.dropFirst()
    } else if first == "--help" || first == "-h" {
      return arguments
    } else if first == "--version" {
      arguments.command = .version
      return arguments
    } else if first.hasSuffix(".cnn") || first == "-" || !first.hasPrefix("-") {
      arguments.command = .build
    }
    if arguments.command == .help {
      arguments.helpTopic = rest.first
      return arguments
    }
    while let word = rest.popFirst() {
      try arguments.take(word, &rest)
    }
    try arguments.validate()
    return arguments
  }

  private mutating func take(_ word: String, _ rest: inout ArraySlice<String>) throws(UsageError) {
    func value() throws(UsageError) -> String {
      guard let next = rest.popFirst() else { throw UsageError(message: "'\(word)' needs a value") }
      return next
    }
    switch word {
    case "--diagnostics-format":
      let text = try value()
      guard let format = DiagnosticsFormat(rawValue: text) else {
        throw UsageError(message: "unknown diagnostics format '\(text)'; use text, json, sarif or github")
      }
      diagnosticsFormat = format
    case "--werror": werror = true
    case "--quiet", "-q": quiet = true
    case "--format": reportFormat = try value()
    case "--depth":
      let text = try value()
      guard let number = Int(text), number >= 0 else {
        throw UsageError(message: "'--depth' needs a non-negative number, not '\(text)'")
      }
      depth = number
    case "-o", "--output": output = try value()
    case "--target-cpu": targetCPU = try value()
    case "--help", "-h":
      helpTopic = command.rawValue
      command = .help
    default:
      if word.hasPrefix("-") && word != "-" {
        throw UsageError(message: "unknown option '\(word)'; see 'cnnc help \(command.rawValue)'")
      }
      files.append(word)
    }
  }

  private func validate() throws(UsageError) {
    if command == .help { return }
    if files.isEmpty { throw UsageError(message: "no input file; see 'cnnc help \(command.rawValue)'") }
    if (command == .report || command == .build) && files.count > 1 {
      throw UsageError(message: "'\(command.rawValue)' takes one file; found \(files.count)")
    }
    if command == .build && output == nil {
      throw UsageError(message: "missing '-o Model.swift': where should the generated code go?")
    }
    let formats = ["text", "markdown", "json", "csv", "dot", "svg"]
    if command == .report && !formats.contains(reportFormat) {
      throw UsageError(message: "unknown report format '\(reportFormat)'; use \(formats.joined(separator: ", "))")
    }
  }
}
