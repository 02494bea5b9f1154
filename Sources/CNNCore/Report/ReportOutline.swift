/// The module tree the text table and the graphs show: layers grouped into blocks by name,
/// optionally folded below a depth (`--depth N`).
///
/// Blocks come from composed names, as in a PyTorch module tree: `layer1.0.conv1` sits in
/// block `layer1.0`, inside block `layer1`; a labelled join (`inception3a: concat {…}`) is the
/// last row of its own block. Unlabelled layers carry generated names without a prefix, so
/// they are placed by `BlockPaths`: in the block shared by the labelled layers of the same call
/// expansion, else between their labelled neighbours (`docs/report.md`).
public struct ReportOutline: Sendable {
  public enum RowKind: Sendable, Equatable {
    case layer
    /// A block whose layers follow as their own rows; it has no figures of its own.
    case expandedBlock
    /// A block deeper than `--depth`: one row standing for its layers, figures summed.
    case foldedBlock
  }

  public struct Row: Sendable {
    public var name: String
    /// Nesting level: 0 at the top.
    public var depth: Int
    public var kind: RowKind
    /// The report entries this row stands for, in execution order.
    public var indices: [Int]
  }

  public var rows: [Row]
  /// For each report entry, the row that draws it in graphs (a layer or folded block row).
  public var nodeOfEntry: [Int]

  public init(_ report: Report, depth: Int?) {
    let paths = BlockPaths.compute(report.entries)
    var builder = Builder(depth: depth)
    for (index, entry) in report.entries.enumerated() {
      builder.add(index, name: entry.name, path: paths[index])
    }
    rows = builder.rows
    nodeOfEntry = builder.nodeOfEntry
  }

  /// Appends rows in execution order, opening block headers as paths change.
  private struct Builder {
    let depth: Int?
    var rows: [Row] = []
    var nodeOfEntry: [Int] = []
    /// Row numbers of the open block headers, outermost first.
    var open: [Int] = []
    var openPath: [String] = []

    init(depth: Int?) { self.depth = depth }

    mutating func add(_ index: Int, name: String, path: [String]) {
      let limit = depth ?? Int.max
      let shown = Array(path.prefix(limit))
      var shared = 0
      while shared < min(shown.count, openPath.count), shown[shared] == openPath[shared] { shared += 1 }
      open.removeLast(open.count - shared)
      openPath.removeLast(openPath.count - shared)
      for level in shared..<shown.count {
        openPath.append(shown[level])
        open.append(rows.count)
        rows.append(Row(name: openPath.joined(separator: "."), depth: level, kind: .expandedBlock,
                        indices: []))
      }
      for header in open { rows[header].indices.append(index) }
      if path.count > limit {
        let key = path.prefix(limit + 1).joined(separator: ".")
        if let last = rows.last, last.kind == .foldedBlock, last.name == key {
          rows[rows.count - 1].indices.append(index)
        } else {
          rows.append(Row(name: key, depth: limit, kind: .foldedBlock, indices: [index]))
        }
      } else {
        rows.append(Row(name: name, depth: path.count, kind: .layer, indices: [index]))
      }
      nodeOfEntry.append(rows.count - 1)
    }
  }
}
