/// placeholder
public enum GraphSVG {
  public static func render(_ report: Report, outline: ReportOutline) -> String { "" }
}
