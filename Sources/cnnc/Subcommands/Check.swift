import CNNCore

extension Tool {
  /// `cnnc check FILE...` and `cnnc lint FILE...`: diagnostics only; exit 1 if any file has errors.
  mutating func check(_ arguments: Arguments) -> Int32 {
    var exitCode: Int32 = 0
    var checked = 0
    for path in arguments.files {
      if compile(path, arguments, lint: arguments.command == .lint, exitCode: &exitCode) != nil {
        checked += 1
      }
    }
    if exitCode == 0 && !arguments.quiet && arguments.diagnosticsFormat == .text {
      standardError += "\(checked) file\(checked == 1 ? "" : "s") checked, no errors\n"
    }
    return exitCode
  }
}
