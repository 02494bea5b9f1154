import CNNCore

extension Tool {
  /// `cnnc report FILE`: the per-layer table in the chosen format on standard output.
  mutating func report(_ arguments: Arguments) -> Int32 {
    var exitCode: Int32 = 0
    guard compile(arguments.files[0], arguments, lint: false, exitCode: &exitCode) != nil else {
      return exitCode
    }
    standardError += "cnnc: error: 'report' is not implemented yet\n"
    return 2
  }
}
