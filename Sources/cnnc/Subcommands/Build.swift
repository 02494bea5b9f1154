import CNNCore

extension Tool {
  /// `cnnc FILE -o Model.swift`: generates the forward pass.
  mutating func build(_ arguments: Arguments) -> Int32 {
    var exitCode: Int32 = 0
    guard compile(arguments.files[0], arguments, lint: false, exitCode: &exitCode) != nil else {
      return exitCode
    }
    standardError += "cnnc: error: code generation is not implemented yet\n"
    return 2
  }
}
