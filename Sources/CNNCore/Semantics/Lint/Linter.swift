/// Runs the design rules of `cnnc lint` over a checked network.
public enum Linter {
  public static func lint(_ network: CheckedNetwork, syntax: SpecFile) -> [Diagnostic] {
    []
  }
}
