import CNNCore
import Foundation

extension Tool {
  /// `cnnc FILE -o Model.swift`: generates the forward pass.
  ///
  /// The file is written to a temporary sibling and renamed over the target, so a failed run
  /// leaves an existing `Model.swift` untouched (cli.md); an unwritable target is exit 2.
  mutating func build(_ arguments: Arguments) -> Int32 {
    var exitCode: Int32 = 0
    guard let compilation = compile(arguments.files[0], arguments, lint: false, exitCode: &exitCode),
      let network = compilation.network
    else {
      return max(exitCode, 1)
    }
    let commandLine = (["cnnc"] + arguments.commandLineWords).joined(separator: " ")
    let text = SwiftGenerator.generate(network, source: compilation.source, commandLine: commandLine,
                                       targetCPU: arguments.targetCPU)
    let path = arguments.output ?? "Model.swift"
    if let problem = Self.writeAtomically(text, to: path) {
      standardError += "cnnc: error: cannot write '\(path)': \(problem)\n"
      return 2
    }
    if !arguments.quiet && arguments.diagnosticsFormat == .text {
      standardError += "wrote \(path)\n"
    }
    return 0
  }

  /// Temporary file in the target's directory, then `rename(2)`; nil on success.
  static func writeAtomically(_ text: String, to path: String) -> String? {
    let target = URL(fileURLWithPath: path)
    let directory = target.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).cnnc-\(getpid()).tmp")
    guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8)) else {
      return "the directory '\(directory.path)' is not writable or does not exist"
    }
    if rename(temporary.path, target.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      return reason
    }
    return nil
  }
}

extension Arguments {
  /// The words that reproduce this build in the generated header (file, `-o`, `--target-cpu`).
  var commandLineWords: [String] {
    var words = files
    if let output { words += ["-o", output] }
    if let targetCPU { words += ["--target-cpu", targetCPU] }
    return words
  }
}
