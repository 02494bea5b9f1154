/// The text of `cnnc --help` and `cnnc help COMMAND`.
enum Help {
  static let version = "cnnc 0.1.0"

  static let overview = """
    cnnc — a compiler for convolutional-network descriptions (.cnn files)

    USAGE:
      cnnc check  FILE...                 parse and check; prints diagnostics only
      cnnc lint   FILE...                 check, then design warnings (docs/lint.md)
      cnnc report FILE [--format text|markdown|json|csv|dot|svg] [--depth N]
      cnnc FILE -o Model.swift            generate the Swift forward pass (also: cnnc build)
      cnnc help COMMAND, cnnc --help, cnnc --version

    OPTIONS (every command that checks):
      --diagnostics-format text|json|sarif|github
      --werror                            treat warnings as errors
      --quiet                             print nothing on success

    '-' as FILE reads standard input. Exit codes: 0 success, 1 errors in the spec,
    2 usage or I/O problem. Language reference: docs/language.md.

    """

  static func text(for topic: String?) -> String? {
    switch topic {
    case nil: return overview
    case "check": return "cnnc check FILE... [--diagnostics-format F] [--werror] [--quiet]\n\nParses and checks each file: syntax, shapes, channel and spatial rules.\n"
    case "lint": return "cnnc lint FILE... [--diagnostics-format F] [--werror] [--quiet]\n\nChecks, then applies the design rules listed in docs/lint.md (warnings).\n"
    case "report": return "cnnc report FILE [--format text|markdown|json|csv|dot|svg] [--depth N]\n\nPer-layer shapes, parameters, MACs, memory and receptive field, with totals.\n"
    case "build": return "cnnc build FILE -o Model.swift [--target-cpu CPU]\ncnnc FILE -o Model.swift\n\nGenerates one self-contained Swift file with the network's forward pass.\n"
    case "help": return "cnnc help COMMAND\n"
    default: return nil
    }
  }
}
