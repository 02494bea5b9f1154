import CNNCore
import Foundation
import XCTest

/// Compiles a spec's generated Swift with a small driver and runs it: the mechanism every
/// end-to-end codegen test (and PyTorch fixture test) uses.
///
/// Binaries are cached under `$TMPDIR/cnnc-codegen-cache/<spec hash>-<source hash>-<cpu>/`, so a
/// spec is compiled once per generator change. The driver reads a weights file (`-` calls
/// `init()`), a raw little-endian f32 input, and writes every output concatenated; a thrown
/// weights error is printed as `error: <message>` with exit status 3.
enum GeneratedModelRunner {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static var swiftc: String? {
    let candidates = ["/opt/swift/usr/bin/swiftc", "/usr/bin/swiftc", "/usr/local/bin/swiftc"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The `-target-cpu` for this machine: znver4 with AVX-512, haswell with AVX2, else none.
  static var hostCPU: String? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
    if info.contains(" avx512f") { return "znver4" }
    if info.contains(" avx2") { return "haswell" }
    return nil
  }

  static func compilation(_ specPath: String) throws -> (Compilation, CheckedNetwork) {
    let compilation = try Compilation(path: specPath)
    guard let network = compilation.network else {
      throw Failure(description: "\(specPath) has errors: \(compilation.diagnostics.map(\.message))")
    }
    return (compilation, network)
  }

  /// Generates, compiles (once) and returns the driver binary for a spec.
  static func binary(specPath: String) throws -> URL {
    guard let swiftc else { throw XCTSkip("swiftc not found") }
    let (compilation, network) = try compilation(specPath)
    let cpu = hostCPU
    let source = SwiftGenerator.generate(network, source: compilation.source,
                                         commandLine: "cnnc test", targetCPU: cpu)
    let key = SwiftGenerator.specHash(compilation.source.bytes) + "-"
      + SwiftGenerator.specHash(Array(source.utf8)) + "-" + (cpu ?? "generic") + "-" + driverVersion
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("cnnc-codegen-cache").appendingPathComponent(key)
    let binary = directory.appendingPathComponent("model")
    let typeName = SwiftGenerator.typeName(network.network.name)
    var arguments = ["-swift-version", "6", "-O", "-parse-as-library", "-warnings-as-errors",
                     "Model.swift", "main.swift"]
    if let cpu { arguments += ["-target-cpu", cpu, "-D", "CNNC_FMA"] }
    let result = try compileOnce(swiftc, arguments, in: directory, source: source,
                                 driver: driver(typeName, constant: source.contains("public convenience init() {")))
    guard result.status == 0 else {
      throw Failure(description: "swiftc failed for \(specPath) (\(directory.path)):\n\(result.output.prefix(4000))")
    }
    return binary
  }

  /// Compiles `source` and `driver` in the cache directory `directory` to `directory/model`,
  /// unless it is there already; a build of the same directory in flight (a `prefetch`) is
  /// waited for, not repeated. A failed build is not cached: its output comes from a build in
  /// the caller's thread.
  static func compileOnce(_ swiftc: String, _ arguments: [String], in directory: URL, source: String,
                          driver: String) throws -> (status: Int32, output: String) {
    let binary = directory.appendingPathComponent("model")
    let build = { () throws -> (status: Int32, output: String) in
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try source.write(to: directory.appendingPathComponent("Model.swift"), atomically: true, encoding: .utf8)
      try driver.write(to: directory.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
      let temporary = directory.appendingPathComponent("model.\(getpid()).\(UUID().uuidString).tmp")
      let result = try execute(swiftc, arguments + ["-o", temporary.path], in: directory)
      if result.status == 0 { _ = rename(temporary.path, binary.path) }
      return result
    }
    var output = ""
    inFlight.once(directory.path) {
      guard !FileManager.default.isExecutableFile(atPath: binary.path) else { return }
      output = (try? build())?.output ?? ""
    }
    if FileManager.default.isExecutableFile(atPath: binary.path) { return (0, output) }
    return try build()
  }

  /// Builds in flight, by cache directory.
  private static let inFlight = InFlightBuilds()

  private final class InFlightBuilds: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String: DispatchGroup] = [:]

    /// Runs `body` for `key`, or, while another thread runs it for `key`, waits for that one.
    func once(_ key: String, _ body: () -> Void) {
      lock.lock()
      if let group = running[key] {
        lock.unlock()
        group.wait()
        return
      }
      let group = DispatchGroup()
      group.enter()
      running[key] = group
      lock.unlock()
      body()
      lock.lock()
      running[key] = nil
      lock.unlock()
      group.leave()
    }
  }

  /// Starts `build` in the background, in the order prefetched, up to `prefetchWorkers` at
  /// once. A test class's `setUp` prefetches the models its later tests compile; those tests
  /// then find them built, or wait for the build in flight. Compilation is most of the suite's
  /// time, and XCTest runs the tests one after another. With one build at a time, a core sat
  /// idle whenever a test waited for its model: /proc/stat over a cold `swift test` on 2 cores
  /// showed 40-50 % idle through the kernel tests.
  static func prefetch(_ build: @escaping @Sendable () throws -> Void) {
    prefetchQueue.async {
      prefetchSlots.wait()
      prefetchPool.async {
        defer { prefetchSlots.signal() }
        _ = try? build()
      }
    }
  }

  /// Background builds at once: one per core (a `swiftc` of one file is one frontend), at
  /// most 4.
  private static let prefetchWorkers = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

  /// Hands the prefetched builds out in order, each once a slot is free.
  private static let prefetchQueue = DispatchQueue(label: "cnnc-tests.prefetch")
  private static let prefetchPool = DispatchQueue(label: "cnnc-tests.prefetch-pool", attributes: .concurrent)
  private static let prefetchSlots = DispatchSemaphore(value: prefetchWorkers)

  /// Prefetches the model `binary(specPath:)` builds for a spec file.
  static func prefetchSpec(_ path: String) {
    prefetch { _ = try binary(specPath: path) }
  }

  /// Prefetches the model `checkEveryLayer(spec, outputs:)` runs (`binary(specPath:)`).
  static func prefetchEveryLayer(_ spec: String, outputs: String) {
    prefetch {
      let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-prefetch-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: directory) }
      let specPath = directory.appendingPathComponent("kernels.cnn").path
      try (spec + outputs).write(toFile: specPath, atomically: true, encoding: .utf8)
      _ = try binary(specPath: specPath)
    }
  }

  /// Runs the compiled model (on `threads` threads, else the generated default); the outputs
  /// in `output` order, or the printed error.
  static func run(specPath: String, weightsPath: String?, inputPath: String,
                  threads: Int? = nil) throws -> Result<[[Float]], Failure> {
    let binary = try binary(specPath: specPath)
    let (_, network) = try compilation(specPath)
    let outputPath = FileManager.default.temporaryDirectory
      .appendingPathComponent("cnnc-out-\(getpid())-\(UUID().uuidString).bin").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let result = try execute(binary.path, [weightsPath ?? "-", inputPath, outputPath] + (threads.map { ["\($0)"] } ?? []),
                             in: nil)
    guard result.status == 0 else { return .failure(Failure(description: result.output)) }
    let data = try Data(contentsOf: URL(fileURLWithPath: outputPath))
    let flat = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    var outputs: [[Float]] = []
    var offset = 0
    for shape in network.outputShapes {
      let count = shape!.elementCount!
      outputs.append(Array(flat[offset..<min(flat.count, offset + count)]))
      offset += count
    }
    return .success(outputs)
  }

  /// A spec's generated model compiled with a test's own `main.swift`, in a temporary directory
  /// that also holds `w.safetensors` (`SafetensorsWriter`'s weights for the network).
  struct DrivenModel {
    var directory: URL
    var network: CheckedNetwork
    var source: String
    var tensors: [String: [Float]]
    /// swiftc's exit status and output (the test asserts on them).
    var build: (status: Int32, output: String)
    /// The compiled model, in the build cache (run it in `directory`).
    var binary: String
  }

  /// Generates `spec` (for `target`, else the host), writes weights and `driver`, compiles both
  /// with `-O`, `flags` and the host's `-target-cpu` (`-D CNNC_FMA` too when `fma`), and calls
  /// `body` before the directory is removed; `inspect` sees the source before it is compiled.
  /// Skips without swiftc.
  static func withDrivenModel(_ spec: String, driver: String, flags: [String] = [], fma: Bool = false,
                              generatedFor target: String? = nil, inspect: (String) -> Void = { _ in },
                              _ body: (DrivenModel) throws -> Void) throws {
    guard let swiftc else { throw XCTSkip("swiftc not found") }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-driven-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let specPath = directory.appendingPathComponent("spec.cnn").path
    try spec.write(toFile: specPath, atomically: true, encoding: .utf8)
    let (compilation, network) = try compilation(specPath)
    let (source, arguments, cache) = drivenBuild(compilation, network, driver: driver, flags: flags, fma: fma,
                                                 generatedFor: target)
    inspect(source)
    let (entries, tensors) = SafetensorsWriter.weights(for: network)
    try SafetensorsWriter.data(entries).write(to: directory.appendingPathComponent("w.safetensors"))
    let build = try compileOnce(swiftc, arguments, in: cache, source: source, driver: driver)
    try body(DrivenModel(directory: directory, network: network, source: source, tensors: tensors, build: build,
                         binary: cache.appendingPathComponent("model").path))
  }

  /// The generated source, swiftc's arguments and the cache directory of a driven model.
  private static func drivenBuild(_ compilation: Compilation, _ network: CheckedNetwork, driver: String,
                                  flags: [String], fma: Bool, generatedFor target: String?)
    -> (source: String, arguments: [String], cache: URL) {
    let cpu = hostCPU
    let source = SwiftGenerator.generate(network, source: compilation.source, commandLine: "cnnc test",
                                         targetCPU: target ?? cpu)
    var arguments = ["-swift-version", "6", "-O", "-parse-as-library"] + flags + ["Model.swift", "main.swift"]
    if let cpu { arguments += ["-target-cpu", cpu] + (fma ? ["-D", "CNNC_FMA"] : []) }
    let key = SwiftGenerator.specHash(Array(source.utf8)) + "-" + SwiftGenerator.specHash(Array(driver.utf8))
      + "-" + SwiftGenerator.specHash(Array(arguments.joined(separator: " ").utf8))
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-codegen-cache")
      .appendingPathComponent("driven-" + key)
    return (source, arguments, cache)
  }

  /// Prefetches the model `withDrivenModel` builds for the same arguments.
  static func prefetchDriven(_ spec: String, driver: String, flags: [String] = [], fma: Bool = false,
                             generatedFor target: String? = nil) {
    guard let swiftc else { return }
    prefetch {
      let compilation = Compilation(name: "spec.cnn", text: spec)
      guard let network = compilation.network else { return }
      let (source, arguments, cache) = drivenBuild(compilation, network, driver: driver, flags: flags, fma: fma,
                                                   generatedFor: target)
      _ = try compileOnce(swiftc, arguments, in: cache, source: source, driver: driver)
    }
  }

  static func writeFloats(_ values: [Float], to path: String) throws {
    let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
    try data.write(to: URL(fileURLWithPath: path))
  }

  static func execute(_ tool: String, _ arguments: [String], in directory: URL?,
                      environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// Part of the binary cache's key: changes with `driver`'s text.
  private static let driverVersion = "d2"

  /// `model WEIGHTS|- INPUT OUTPUT [THREADS]`.
  private static func driver(_ typeName: String, constant: Bool) -> String {
    // A `file://` argument goes through `init(weights: URL)`, a path through `init(weightsPath:)`.
    let load = "arguments[1].hasPrefix(\"file://\") ? try \(typeName)(weights: URL(string: arguments[1])!) : try \(typeName)(weightsPath: arguments[1])"
    let make = constant ? "arguments[1] == \"-\" ? \(typeName)() : \(load)" : load
    return """
      import Foundation

      @main
      struct Driver {
        static func main() {
          let arguments = CommandLine.arguments
          do {
            let model = \(make)
            if arguments.count > 4, let threads = Int(arguments[4]) { model.threads = threads }
            let data = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
            let input = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            var output = Data()
            for values in model.forwardAll(input) {
              values.withUnsafeBufferPointer { output.append($0) }
            }
            try output.write(to: URL(fileURLWithPath: arguments[3]))
          } catch {
            print("error: \\(error)")
            exit(3)
          }
        }
      }

      """
  }
}
