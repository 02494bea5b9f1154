import CNNCore

extension Tool {
  /// `cnnc report FILE`: the per-layer cost report in the chosen format on standard output.
  ///
  /// Spec errors (and a figure that overflows Int64, `shape.overflow`) are printed like any
  /// diagnostics and exit 1; nothing goes to standard output then.
  mutating func report(_ arguments: Arguments) -> Int32 {
    var exitCode: Int32 = 0
    guard let compilation = compile(arguments.files[0], arguments, lint: false, exitCode: &exitCode),
      let checked = compilation.network
    else { return exitCode }
    let report: Report
    do {
      report = try Report.make(checked, source: compilation.source)
    } catch {
      emit([error.diagnostic], source: compilation.source, arguments: arguments)
      return 1
    }
    let outline = ReportOutline(report, depth: arguments.depth)
    switch arguments.reportFormat {
    case "json": standardOutput += ReportJSON.render(report)
    case "csv": standardOutput += ReportCSV.render(report)
    case "markdown": standardOutput += ReportTable.markdown(report, outline: outline)
    case "dot": standardOutput += GraphDot.render(report, outline: outline)
    case "svg": standardOutput += GraphSVG.render(report, outline: outline)
    default: standardOutput += ReportTable.text(report, outline: outline)
    }
    return 0
  }
}
