import Foundation

/// The `cnnc` executable: the only place that touches argv, the streams and the exit code.
@main
enum CNNC {
  static func main() {
    var tool = Tool()
    tool.colorErrors = isatty(2) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    let code = tool.run(Array(CommandLine.arguments.dropFirst()))
    FileHandle.standardOutput.write(Data(tool.standardOutput.utf8))
    FileHandle.standardError.write(Data(tool.standardError.utf8))
    exit(code)
  }
}
