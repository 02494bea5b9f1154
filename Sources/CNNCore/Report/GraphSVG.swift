import Foundation

/// `cnnc report --format svg`: the network drawn as a standalone SVG, no outside tool needed.
///
/// Uses `GraphLayout` (ranks top to bottom, branches side by side in lanes). Each box shows
/// the name, the kind with its window, and the output shape; the network's outputs have a
/// heavy border. Text is monospace so box widths can be computed without font metrics. Long
/// networks stay one column tall; fold blocks with `--depth N` to shorten them.
public enum GraphSVG {
  static let characterWidth = 7.0
  static let boxHeight = 40.0
  static let rankGap = 26.0
  static let laneGap = 28.0
  static let margin = 20.0

  public static func render(_ report: Report, outline: ReportOutline) -> String {
    let graph = Graph(report, outline: outline)
    let layout = GraphLayout(graph)
    let longest = graph.nodes.map { max(label($0).count, $0.name.count) }.max() ?? 10
    let boxWidth = min(320, max(120, Double(longest) * characterWidth + 16))
    let geometry = Geometry(boxWidth: boxWidth)
    let width = Int(geometry.x(lane: layout.laneCount) - laneGap + margin)
    let height = Int(geometry.y(rank: layout.rankCount) - rankGap + margin)
    var lines = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        + "viewBox=\"0 0 \(width) \(height)\" font-family=\"DejaVu Sans Mono, Menlo, monospace\" font-size=\"11\">",
      "<title>\(escape(report.network))</title>",
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
        + "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
    ]
    // Spread the arrows entering a join across its top edge, in branch order.
    let incoming = graph.predecessors.map(\.count)
    var arrived = Array(repeating: 0, count: graph.nodes.count)
    for edge in graph.edges {
      let spacing = min(24, boxWidth / Double(incoming[edge.to] + 1))
      let offset = (Double(arrived[edge.to]) - Double(incoming[edge.to] - 1) / 2) * spacing
      arrived[edge.to] += 1
      lines.append(path(edge, layout, geometry, offset: offset))
    }
    for (id, node) in graph.nodes.enumerated() {
      lines += box(node, x: geometry.x(lane: layout.lane[id]), y: geometry.y(rank: layout.rank[id]),
                   width: boxWidth)
    }
    lines.append("</svg>")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Lane and rank to pixels.
  struct Geometry {
    var boxWidth: Double
    func x(lane: Int) -> Double { margin + Double(lane) * (boxWidth + laneGap) }
    func y(rank: Int) -> Double { margin + Double(rank) * (boxHeight + rankGap) }
  }

  /// Straight down the producer's lane to the gap above the consumer, then into its top.
  static func path(_ edge: Graph.Edge, _ layout: GraphLayout, _ geometry: Geometry,
                   offset: Double) -> String {
    let half = geometry.boxWidth / 2
    let startX = geometry.x(lane: layout.lane[edge.from]) + half
    let startY = geometry.y(rank: layout.rank[edge.from]) + boxHeight
    let endX = geometry.x(lane: layout.lane[edge.to]) + half + offset
    let endY = geometry.y(rank: layout.rank[edge.to])
    var points = [(startX, startY)]
    if layout.rank[edge.to] > layout.rank[edge.from] + 1 {
      points.append((startX, geometry.y(rank: layout.rank[edge.to] - 1) + boxHeight))
    }
    points.append((endX, endY - 1))
    let text = points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ")
    return "<polyline points=\"\(text)\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>"
  }

  static func box(_ node: Graph.Node, x: Double, y: Double, width: Double) -> [String] {
    let stroke = node.isOutput ? "stroke=\"#1b2a4a\" stroke-width=\"2.5\"" : "stroke=\"#5b6b82\" stroke-width=\"1\""
    let limit = Int((width - 12) / characterWidth)
    return [
      "<g><title>\(escape("\(node.name): \(node.detail) → \(node.shape)"))</title>",
      "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(width))\" height=\"\(format(boxHeight))\" "
        + "rx=\"6\" fill=\"\(fill(node))\" \(stroke)/>",
      "<text x=\"\(format(x + 8))\" y=\"\(format(y + 16))\" font-weight=\"bold\">\(escape(clip(node.name, limit)))</text>",
      "<text x=\"\(format(x + 8))\" y=\"\(format(y + 31))\" fill=\"#333\">\(escape(clip(label(node), limit)))</text>",
      "</g>",
    ]
  }

  /// The second line of a box: kind and window, then the output shape.
  static func label(_ node: Graph.Node) -> String { "\(node.detail) → \(node.shape)" }

  /// Colour by role: convolutions blue, pooling green, fc orange, joins purple, the rest grey.
  static func fill(_ node: Graph.Node) -> String {
    guard let kind = node.kind else { return node.row == nil ? "#e3f2e1" : "#fff4cc" }
    switch kind {
    case .conv, .dwconv, .deconv: return "#dde8fb"
    case .maxpool, .avgpool, .gap, .gmp, .adaptiveavgpool, .spp: return "#dff3e4"
    case .fc: return "#fde6cf"
    case .concat, .add: return "#eadff7"
    default: return "#f1f2f4"
    }
  }

  static func clip(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(max(1, limit - 1))) + "…"
  }

  static func format(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
  }

  /// XML text escaping.
  static func escape(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      default: result.append(character)
      }
    }
    return result
  }
}
