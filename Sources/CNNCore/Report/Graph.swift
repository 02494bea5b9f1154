/// The report as a graph: one node per layer (or per block folded by `--depth`) plus the
/// network input, one edge per producer-consumer pair. DOT and SVG both draw this value.
struct Graph {
  struct Node {
    var name: String
    /// `conv 11x11 s4`, `maxpool 3x3 s2`, `12 layers`, `input`.
    var detail: String
    var shape: Shape
    var kind: LayerKind?
    var isOutput: Bool
    /// The outline row this node draws; nil for the input node.
    var row: Int?
  }

  struct Edge: Hashable {
    var from: Int
    var to: Int
  }

  /// Node 0 is the network input; the others follow the outline, so every edge goes forward.
  var nodes: [Node]
  var edges: [Edge]

  init(_ report: Report, outline: ReportOutline) {
    nodes = [Node(name: "input", detail: "input", shape: report.input, kind: nil, isOutput: false,
                  row: nil)]
    var nodeOfRow: [Int: Int] = [:]
    for (rowIndex, row) in outline.rows.enumerated() where row.kind != .expandedBlock {
      let entries = row.indices.map { report.entries[$0] }
      guard let last = entries.last else { continue }
      let outputs = Set(report.outputIndices)
      let isOutput = row.indices.contains { outputs.contains($0) }
      let detail = row.kind == .layer ? Graph.detail(last) : "\(entries.count) layers"
      nodeOfRow[rowIndex] = nodes.count
      nodes.append(Node(name: row.name, detail: detail, shape: last.output,
                        kind: row.kind == .layer ? last.kind : nil, isOutput: isOutput, row: rowIndex))
    }
    var seen = Set<Edge>()
    edges = []
    for (index, entry) in report.entries.enumerated() {
      guard let target = nodeOfRow[outline.nodeOfEntry[index]] else { continue }
      for producer in entry.producers {
        let source = producer == Layer.networkInput ? 0 : nodeOfRow[outline.nodeOfEntry[producer]] ?? 0
        let edge = Edge(from: source, to: target)
        if source != target && seen.insert(edge).inserted { edges.append(edge) }
      }
    }
  }

  /// `conv 3x3 s2 g32`: the kind plus the window settings that differ from the defaults.
  static func detail(_ entry: Report.Entry) -> String {
    var words = [entry.kind.rawValue]
    if let window = entry.window {
      words.append(window.kernel.description)
      if window.stride != Dims(1, 1) { words.append("s" + window.stride.compact) }
      if window.dilation != Dims(1, 1) { words.append("d" + window.dilation.compact) }
    }
    if let groups = entry.groups, groups > 1 { words.append("g\(groups)") }
    return words.joined(separator: " ")
  }

  /// The producers of each node, in edge order.
  var predecessors: [[Int]] {
    var result = Array(repeating: [Int](), count: nodes.count)
    for edge in edges { result[edge.to].append(edge.from) }
    return result
  }

  var successors: [[Int]] {
    var result = Array(repeating: [Int](), count: nodes.count)
    for edge in edges { result[edge.from].append(edge.to) }
    return result
  }
}
