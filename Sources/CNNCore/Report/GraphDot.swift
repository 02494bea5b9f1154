/// `cnnc report --format dot`: a Graphviz digraph of the network, for `dot -Tsvg`.
///
/// One node per layer (or folded block), labelled with name, kind and output shape; edges are
/// labelled with the tensor they carry. Expanded blocks become nested `cluster` subgraphs so
/// the module tree shows as boxes; Graphviz lays parallel branches side by side by itself.
public enum GraphDot {
  public static func render(_ report: Report, outline: ReportOutline) -> String {
    let graph = Graph(report, outline: outline)
    var lines = [
      "digraph \(quote(report.network)) {",
      "  rankdir=TB;",
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f6fb\", fontname=\"Helvetica\", fontsize=10];",
      "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#666666\"];",
      "  n0 [label=\(quote("input\n\(report.input)")), shape=oval, fillcolor=\"#e8f5e9\"];",
    ]
    var nodeOfRow: [Int: Int] = [:]
    for (id, node) in graph.nodes.enumerated() { if let row = node.row { nodeOfRow[row] = id } }
    var openDepths: [Int] = []
    for (rowIndex, row) in outline.rows.enumerated() {
      while let depth = openDepths.last, depth >= row.depth {
        openDepths.removeLast()
        lines.append(String(repeating: "  ", count: openDepths.count + 1) + "}")
      }
      let pad = String(repeating: "  ", count: openDepths.count + 1)
      if row.kind == .expandedBlock {
        lines.append(pad + "subgraph \(quote("cluster_\(rowIndex)")) {")
        lines.append(pad + "  label=\(quote(row.name)); style=\"rounded,dashed\"; color=\"#9aa5b1\"; fontname=\"Helvetica\"; fontsize=10;")
        openDepths.append(row.depth)
      } else if let id = nodeOfRow[rowIndex] {
        lines.append(pad + nodeLine(id, graph.nodes[id]))
      }
    }
    while !openDepths.isEmpty {
      openDepths.removeLast()
      lines.append(String(repeating: "  ", count: openDepths.count + 1) + "}")
    }
    for edge in graph.edges {
      let label = graph.nodes[edge.from].shape.description
      lines.append("  n\(edge.from) -> n\(edge.to) [label=\(quote(label))];")
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  static func nodeLine(_ id: Int, _ node: Graph.Node) -> String {
    let label = "\(node.name)\n\(node.detail)\n\(node.shape)"
    let extra = node.isOutput ? ", penwidth=2" : ""
    return "n\(id) [label=\(quote(label))\(extra)];"
  }

  /// A DOT string: quotes and backslashes escaped, line breaks as `\n`.
  static func quote(_ text: String) -> String {
    var result = "\""
    for character in text {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}
