// libFuzzer entry point for the whole cnnc front end.
//
// Built by `Tools/fuzz/run.sh`, which compiles the CNNCore sources straight into this binary
// (no module import), so every type is visible here without `import CNNCore`.
// Every input must finish with diagnostics or a network: a trap, an ASan report, a stack
// overflow or a timeout (`-timeout=2`) is a bug in the front end.

/// Runs the lexer, parser, expander, checker and linter on `data`, then renders the
/// diagnostics, because renderers index the source with the diagnostics' offsets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCompilation(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  let source = SourceFile(name: "fuzz.cnn", bytes: bytes)
  let compilation = Compilation(source: source, lint: true)
  let text = TextRenderer().render(compilation.diagnostics, source: source)
  let json = JSONRenderer.render(compilation.diagnostics, source: source)
  // Keep the renderers' work observable so the optimiser cannot drop it.
  if text.utf8.count == Int.min || json.utf8.count == Int.min { return 1 }
  return 0
}
