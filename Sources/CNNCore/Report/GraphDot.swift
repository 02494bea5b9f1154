/// placeholder
public enum GraphDot {
  public static func render(_ report: Report, outline: ReportOutline) -> String { "" }
}
