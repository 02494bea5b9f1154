@testable import CNNCore
import Foundation
import XCTest

/// The activation memory model (`Liveness`) shared by the report and the generator: the
/// activations in the generated code's arena take the report's `peakActivationBytes` on every
/// spec in `Specs/`, no two storages alive together overlap, nor a step's work memory anything
/// alive while it runs, the hand-worked figures of the sharing
/// rules, and the shared-memory paths (zero-copy concat, in-place add, views) computed as the
/// Double interpreter computes them.
final class MemoryPlanTests: XCTestCase {
  static func network(_ text: String) throws -> (Compilation, CheckedNetwork) {
    let compilation = Compilation(name: "plan.cnn", text: text)
    let network = try XCTUnwrap(compilation.network, "\(compilation.diagnostics.map(\.message))")
    return (compilation, network)
  }

  /// No known exception: the greedy placement of the activations reaches the live maximum on
  /// every zoo spec; the work memory is placed without overlapping anything alive.
  func testActivationsTakeReportPeakOnEveryZooSpec() throws {
    let directory = Golden.url("Specs")
    let specs = try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasSuffix(".cnn") }.sorted()
    XCTAssertGreaterThanOrEqual(specs.count, 27)
    for spec in specs {
      let (compilation, network) = try GeneratedModelRunner.compilation(directory.appendingPathComponent(spec).path)
      let report = try Report.make(network, source: compilation.source)
      let lowered = LoweredNetwork(network)
      let plan = Self.plan(lowered, compilation)
      let peak = report.totals.peakActivationBytes
      XCTAssertEqual(plan.activationCount * 4, peak, "\(spec): activations vs report peak")
      XCTAssertEqual(BufferPlan(lowered).arenaCount * 4, peak, "\(spec): without work memory")
      XCTAssertEqual(plan.peakBytes, peak, spec)
      Self.assertValid(lowered, plan, spec)
      // Never more than the separate buffer it replaces (the activations plus the largest work),
      // but for the alignment of the work memory to a cache line.
      XCTAssertLessThanOrEqual(plan.arenaCount, plan.activationCount + 15 + (plan.workCounts.max() ?? 0), spec)
      let source = SwiftGenerator.generate(network, source: compilation.source,
                                           commandLine: "cnnc \(spec)", targetCPU: "znver4")
      let header = plan.stepsWithWork == 0
        ? "// Activation arena: \(peak) bytes; peak live activations \(peak) bytes."
        : "// Arena: \(plan.arenaCount * 4) bytes: activations \(peak) (peak live \(peak)) and the"
      XCTAssertTrue(source.contains(header), "\(spec): header")
      XCTAssertTrue(source.contains("arena = Self.allocateZeroed(Float.self, count: \(plan.arenaCount))"),
                    "\(spec): allocation")
    }
  }

  /// Where the memory target needs it, the steps' work memory goes into the gaps the
  /// activations leave: SqueezeNet's Winograd buffers (1.3 and 2.0 MB for two threads,
  /// resident beside the arena before; 1.1's stem copy, 0.6 MB, too) fit there whole, the arena grows by at most 0.1 % and
  /// the separate `scratch` keeps only what the other steps need (< 0.1 MB). ResNet-18 meets
  /// the target with its buffer, which stays: each thread's part at a fixed address.
  func testWorkMemoryMovesIntoTheArenaWhereTheTargetNeedsIt() throws {
    for (spec, separate) in [("squeezenet1_1", "max(1, 0 &+ parts &* 11024)"),
                             ("squeezenet1_0", "max(1, 0 &+ parts &* 1024)"),
                             ("resnet18", nil)] {
      let (compilation, network) = try GeneratedModelRunner.compilation(Golden.url("Specs/\(spec).cnn").path)
      let lowered = LoweredNetwork(network)
      let plan = Self.plan(lowered, compilation)
      let source = SwiftGenerator.generate(network, source: compilation.source,
                                           commandLine: "cnnc \(spec)", targetCPU: "znver4")
      if let separate {
        XCTAssertGreaterThan(plan.workCounts.max() ?? 0, 300_000, "\(spec): the Winograd buffers")
        XCTAssertLessThanOrEqual(plan.arenaCount, plan.activationCount + plan.activationCount / 1000, spec)
        XCTAssertTrue(source.contains(" : \(separate)\n"), "\(spec): scratch up to 2 threads")
      } else {
        XCTAssertEqual(plan.workCounts.max(), 0, spec)
        XCTAssertEqual(plan.arenaCount, plan.activationCount, spec)
        XCTAssertFalse(source.contains("let scratch = "), spec)
      }
    }
  }

  /// GoogLeNet misses the target with its Winograd layers' speed-first work buffers (conv3:
  /// 1.26 MB per thread) wherever they go, and meets it with lean ones (`leanWork`): conv3 in
  /// blocks of 4 tile rows, every Winograd layer's products one channel block at a time, the
  /// larger buffers in the arena (which grows by 11 %), 0.34 MB beside it. The process
  /// overhead it plans for follows its code (0.67 MB for 9,006 lines of kernels; the flat
  /// 0.5 MB left it 0.44 MB beside the arena and measured at 1.100 of the target's base).
  func testLeanWorkMemoryWhereOnlyItMeetsTheTarget() throws {
    let (compilation, network) = try GeneratedModelRunner.compilation(Golden.url("Specs/googlenet.cnn").path)
    let lowered = LoweredNetwork(network)
    let emitter = ClassEmitter(lowered: lowered, layout: WeightLayout(lowered, lanes: 16), lanes: 16,
                               source: compilation.source)
    let plan = emitter.plan
    let source = SwiftGenerator.generate(network, source: compilation.source,
                                         commandLine: "cnnc googlenet.cnn", targetCPU: "znver4")
    XCTAssertTrue(source.contains("// Winograd F(2x2, 3x3): 28x28 tiles, 7 block(s) of 4 tile row(s)"), "conv3's lean blocks")
    XCTAssertEqual(emitter.kernelLines, 9_006, "its kernels' lines")
    XCTAssertTrue(source.contains(" : max(1, 53248 &+ parts &* 384, 33280 &+ parts &* 25872, 0 &+ parts &* 41184)\n"), "scratch up to 2 threads")
    XCTAssertEqual(plan.activationCount, 1_003_520)
    XCTAssertEqual(plan.arenaCount, 1_117_376)
    let layout = WeightLayout(lowered, lanes: 16)
    let needs = max(53_248 + 2 * 384, 33_280 + 2 * 25_872, 2 * 41_184)
    let overhead = MemoryTarget.processOverheadFloats(kernelLines: emitter.kernelLines)
    XCTAssertEqual(overhead, 168_096, "0.67 MB (measured: 0.65)")
    let total = layout.count + plan.arenaCount + needs + overhead
    let limit = Double(try XCTUnwrap(MemoryTarget.baseFloats(lowered))) * (1 + MemoryTarget.share)
    XCTAssertLessThanOrEqual(Double(total), limit, "within the target")
  }

  /// The process overhead planned for: 64 bytes per line of kernels plus 1,500 lines of class,
  /// at least 0.5 MB (the figure before it followed the code).
  func testProcessOverheadFollowsTheCodeSize() {
    XCTAssertEqual(MemoryTarget.processOverheadFloats(kernelLines: 0), 131_072, "the 0.5 MB floor")
    XCTAssertEqual(MemoryTarget.processOverheadFloats(kernelLines: 6_692), 131_072)
    XCTAssertEqual(MemoryTarget.processOverheadFloats(kernelLines: 6_693), 131_088)
    XCTAssertEqual(MemoryTarget.processOverheadFloats(kernelLines: 14_000), 248_000, "DenseNet-size code: 0.99 MB")
  }

  /// The arena plan the generator makes for `lowered` (AVX-512 kernels), work memory included.
  static func plan(_ lowered: LoweredNetwork, _ compilation: Compilation) -> BufferPlan {
    ClassEmitter(lowered: lowered, layout: WeightLayout(lowered, lanes: 16), lanes: 16,
                 source: compilation.source).plan
  }

  /// Storages alive at a common step never overlap; every output lies inside its storage.
  static func assertValid(_ lowered: LoweredNetwork, _ plan: BufferPlan, _ name: String,
                   file: StaticString = #filePath, line: UInt = #line) {
    let storages = lowered.liveness.storages
    let offsets = plan.storageOffsets
    for a in storages.indices {
      XCTAssertLessThanOrEqual(offsets[a] + storages[a].elements, plan.arenaCount, name, file: file, line: line)
      for b in storages.indices where b > a {
        let together = storages[a].first <= storages[b].last && storages[b].first <= storages[a].last
        let apart = offsets[a] + storages[a].elements <= offsets[b] || offsets[b] + storages[b].elements <= offsets[a]
        if together && !apart {
          XCTFail("\(name): storages \(a) and \(b) overlap", file: file, line: line)
          return
        }
      }
    }
    for (index, step) in lowered.steps.enumerated() {
      guard let offset = plan.workOffsets[index] else {
        XCTAssertEqual(plan.workCounts[index], 0, name, file: file, line: line)
        continue
      }
      let size = plan.workCounts[index]
      let during = BufferPlan.span(step)
      XCTAssertEqual(offset % 16, 0, "\(name): step \(index)'s work memory is cache-line aligned", file: file, line: line)
      XCTAssertLessThanOrEqual(offset + size, plan.arenaCount, name, file: file, line: line)
      for a in storages.indices where storages[a].first <= during.last && during.first <= storages[a].last {
        if !(offsets[a] + storages[a].elements <= offset || offset + size <= offsets[a]) {
          XCTFail("\(name): step \(index)'s work memory overlaps storage \(a)", file: file, line: line)
          return
        }
      }
    }
    for (layer, placement) in lowered.liveness.placements.enumerated() {
      let size = lowered.shape(layer).elementCount ?? 0
      XCTAssertLessThanOrEqual(placement.offset + size, storages[placement.storage].elements,
                               "\(name): layer \(layer)", file: file, line: line)
    }
  }

  func peak(_ text: String) throws -> Int {
    let (compilation, network) = try Self.network(text)
    let report = try Report.make(network, source: compilation.source)
    let plan = BufferPlan(LoweredNetwork(network))
    XCTAssertEqual(plan.arenaCount * 4, report.totals.peakActivationBytes)
    return report.totals.peakActivationBytes
  }

  /// The input is the caller's memory; bn and relu write over the conv output.
  func testChainRunsElementwiseLayersInPlace() throws {
    // conv 8x8x4 (256 floats) while the input is read; conv2 reads it and writes 384.
    XCTAssertEqual(try peak("input 8x8x2\nconv 4 3x3 p1 | bn | relu\nconv 6 3x3 p1 | relu\n"), (256 + 384) * 4)
  }

  /// Both branch outputs are written into the concat (16 + 48 floats); `a` (32) is alive until
  /// the second branch has read it: 32 + 64 floats. With copies it would be 16 + 48 + 64.
  func testConcatBranchesAreWrittenInPlace() throws {
    let text = "input 4x4x1\na: conv 2 1x1\nconcat {\n  conv 1 1x1\n  conv 3 1x1 | relu\n}\n"
    XCTAssertEqual(try peak(text), (32 + 64) * 4)
    let (_, network) = try Self.network(text)
    let liveness = Liveness(network)
    XCTAssertEqual(liveness.isConcatSlice, [false, true, false, true, false])
    XCTAssertEqual(liveness.placements[2].offset, 16)
    XCTAssertEqual(liveness.placements[3], liveness.placements[2])
    XCTAssertEqual(liveness.placements[1].storage, liveness.placements[4].storage)
  }

  /// `y` is read only by the add, so the sum is written over it: x and y (32 floats each).
  func testAddWritesOverAPrivateInput() throws {
    let text = "input 4x4x2\nx: conv 2 1x1 | y: conv 2 1x1\nadd {\n  @x\n  @y\n}\n"
    XCTAssertEqual(try peak(text), 64 * 4)
    let (_, network) = try Self.network(text)
    XCTAssertEqual(Liveness(network).sharing[2], .inPlace(source: 1))
  }

  /// DenseNet's layer: `identity` of `p` (also read by bn) is a view of `p`, and `p` is the
  /// concat's first slice; bn copies p (4x4x4 = 64 floats) while the concat (96) holds p.
  func testIdentityOfASharedInputIsAViewInTheConcat() throws {
    let text = "input 4x4x1\np: conv 4 1x1\nconcat {\n  identity\n  bn | conv 2 1x1\n}\n"
    let (_, network) = try Self.network(text)
    let liveness = Liveness(network)
    XCTAssertEqual(liveness.sharing[1], .view(source: 0))
    XCTAssertEqual(liveness.placements[0], liveness.placements[1])
    XCTAssertEqual(liveness.placements[0].storage, liveness.placements[4].storage)
    XCTAssertEqual(try peak(text), (96 + 64) * 4)
  }

  /// A concat holding a view of `x` is not written over while `x` is still to be read: the relu
  /// after the concat copies, and the late reader sees `x` intact.
  func testMemoryHoldingAViewIsNotOverwrittenWhileItsSourceIsRead() throws {
    let text = """
      network ViewHazard
      input 4x5x2
      x: conv 3 1x1
      c: concat {
        identity
        conv 2 1x1
      } | r: relu
      @x | late: conv 2 1x1
      output @r, @late
      """
    let (_, network) = try Self.network(text)
    let liveness = Liveness(network)
    XCTAssertEqual(liveness.sharing[1], .view(source: 0))
    XCTAssertEqual(liveness.sharing[4], .own)
    try Self.checkNumerics(text)
  }

  /// Outputs and the network input are never written over and never become slices.
  func testNetworkInputAndOutputsKeepTheirOwnMemory() throws {
    let text = "input 4x4x1\nconcat {\n  identity\n  relu\n}\na: conv 2 1x1\nconcat {\n  @a\n  conv 2 1x1\n}\noutput @a\n"
    let (_, network) = try Self.network(text)
    let liveness = Liveness(network)
    // identity and relu read the input: copies (each then written into the first concat).
    XCTAssertEqual(liveness.sharing, [.own, .own, .own, .own, .own, .own])
    XCTAssertEqual(liveness.isConcatSlice, [true, true, false, false, true, false])
    XCTAssertEqual(liveness.inputLastUse, 1)
  }

  // MARK: - Generated code through the shared-memory paths

  /// Zero-copy concat (nested, with in-place followers, with copied parts), in-place add (first
  /// and later operand), DenseNet views, against the Double interpreter.
  func testSharedMemoryPathsMatchTheInterpreter() throws {
    try Self.checkNumerics("""
      network SharedMemory
      input 6x5x3
      first: concat {
        identity
        relu
      }
      stem2: conv 8 3x3 p1
      inner: concat {
        a: conv 4 1x1 | bn | relu6
        concat {
          b: conv 2 1x1 | sigmoid
          maxpool 3 s1 p1
        }
        @first
      } | relu
      d1: concat {
        identity
        bn | relu | conv 5 3x3 p1
      }
      d2: concat {
        identity
        bn | relu | conv 5 1x1
      }
      r: conv 27 1x1
      res: add {
        @r
        identity
        conv 27 1x1 | bn
      } | relu
      res2: add {
        @res
        conv 27 3x3 p1
      }
      kept: conv 4 1x1
      tail: concat {
        @kept
        conv 3 1x1 | tanh
        dropout 0.5
      } | softmax
      output @tail, @kept, @res2
      """)
  }

  static func checkNumerics(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-plan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let specPath = directory.appendingPathComponent("net.cnn").path
    try text.write(toFile: specPath, atomically: true, encoding: .utf8)
    let (_, network) = try GeneratedModelRunner.compilation(specPath)
    Self.assertValid(LoweredNetwork(network), BufferPlan(LoweredNetwork(network)), "numerics", file: file, line: line)
    let (entries, tensors) = SafetensorsWriter.weights(for: network)
    let weightsPath = directory.appendingPathComponent("w.safetensors").path
    try SafetensorsWriter.data(entries).write(to: URL(fileURLWithPath: weightsPath))
    let input = SafetensorsWriter.values(network.network.input.elementCount!, seed: 7, scale: 2)
    let inputPath = directory.appendingPathComponent("in.bin").path
    try GeneratedModelRunner.writeFloats(input, to: inputPath)
    let outputs = try GeneratedModelRunner.run(specPath: specPath, weightsPath: weightsPath, inputPath: inputPath).get()
    let expected = ReferenceInterpreter(checked: network, tensors: tensors).run(input)
    XCTAssertEqual(outputs.count, expected.count, file: file, line: line)
    for (index, (actual, reference)) in zip(outputs, expected).enumerated() {
      XCTAssertEqual(actual.count, reference.count, "output \(index)", file: file, line: line)
      let scale = max(1, reference.map(abs).max() ?? 0)
      let error = zip(actual, reference).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThanOrEqual(error, 1e-4 * scale, "output \(index): max abs error \(error)", file: file, line: line)
    }
  }
}
