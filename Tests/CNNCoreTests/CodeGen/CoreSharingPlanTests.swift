@testable import CNNCore
import XCTest

/// The arena placement that keeps a split step's writes on memory its own core last touched
/// (`BufferPlan.placeForCoreSharing`): MobileNetV1's depthwise layers rotate over three
/// blocks where the greedy plan ping-pongs over two, the model of who touched what, and the
/// conditions under which nothing moves.
final class CoreSharingPlanTests: XCTestCase {
  /// From the 56² stage on there is room beside the two live blocks (the peak is at 112²): no
  /// depthwise layer writes the block the pointwise layer just read on both cores, and in the
  /// 14² stage each writes the block the depthwise layer before it read (its own channel half
  /// on each core). The greedy
  /// plan wrote every depthwise output over the pointwise input (stop 31: 14² x 512 depthwise
  /// 0.045 → 0.020 ms at 2 threads).
  func testMobileNetV1DepthwiseLayersWriteWhatTheirCoresLastRead() throws {
    let (compilation, network) = try GeneratedModelRunner.compilation(Golden.url("Specs/mobilenet_v1.cnn").path)
    let lowered = LoweredNetwork(network)
    let plan = MemoryPlanTests.plan(lowered, compilation)
    let names = lowered.steps.map { network.layers[$0.layer].name }
    func step(_ name: String) throws -> Int { try XCTUnwrap(names.firstIndex(of: name), name) }
    func input(_ index: Int) -> Int {
      let layer = network.layers[lowered.steps[index].layer].inputs[0]
      return plan.offsets[lowered.stepOfLayer[layer]]
    }
    for k in 2...11 {
      let depthwise = try step("layers.\(k).dw")
      let pointwiseBefore = try step("layers.\(k - 1).pw")
      XCTAssertEqual(depthwise, pointwiseBefore + 1)
      XCTAssertNotEqual(plan.offsets[depthwise], input(pointwiseBefore), "layers.\(k).dw over the pointwise input")
      // Where the shapes repeat, the halves line up exactly.
      if k >= 7 {
        XCTAssertEqual(plan.offsets[depthwise], input(try step("layers.\(k - 1).dw")), "layers.\(k).dw")
      }
    }
    let stage = Set((7...11).map { plan.offsets[try! step("layers.\($0).dw")] })
    XCTAssertEqual(stage.count, 3, "14² depthwise outputs rotate over three blocks: \(stage.sorted())")
    XCTAssertEqual(plan.activationCount, 1_204_224, "still the report's peak")
  }

  /// The model: a split step's halves belong to core 0 and core 1, an unsplit step's memory to
  /// core 0, a whole-input read to every core; only recent accesses count as owned.
  func testHistoryScoresMemoryByTheCoreThatWillWriteIt() {
    var history = ArenaHistory()
    history.record(0..<100, step: 5, split: true, everyCore: false)  // core 0: 0..<50, core 1: 50..<100
    history.record(100..<200, step: 5, split: true, everyCore: true)  // every core
    history.record(200..<300, step: 1, split: false, everyCore: false)  // core 0, long ago
    let splitNow = ArenaHistory.Want(split: true, sinceStep: 3, leavesOwned: false)
    XCTAssertEqual(history.score(0..<100, splitNow).matching, 100, "the same halves")
    XCTAssertEqual(history.score(50..<150, splitNow).matching, 0, "core 0 would write core 1's half")
    XCTAssertEqual(history.score(100..<200, splitNow).matching, 0, "read on every core")
    XCTAssertEqual(history.score(200..<300, splitNow).matching, 0, "too old to count")
    XCTAssertEqual(history.score(0..<50, ArenaHistory.Want(split: false, sinceStep: 3, leavesOwned: false)).matching, 50)
    XCTAssertEqual(history.score(0..<200, ArenaHistory.Want(split: true, sinceStep: 3, leavesOwned: true)).matching, -100,
                   "a convolution counts what it would take from the others")
    XCTAssertGreaterThan(history.score(0..<100, splitNow).recency, history.score(200..<300, splitNow).recency)
    XCTAssertEqual(history.score(300..<400, splitNow).recency, 0, "never touched")
  }

  /// A chain of convolutions has no channel-split reader to make room for: the greedy plan stays.
  /// So does a plan whose steps run on one thread.
  func testNothingMovesWithoutASplitChannelWiseStep() throws {
    let (_, network) = try MemoryPlanTests.network("""
      input 56x56x64
      conv 64 3x3 p1 | relu
      conv 64 3x3 p1 | relu
      conv 64 3x3 p1 | relu
      """)
    let lowered = LoweredNetwork(network)
    let greedy = BufferPlan.place(lowered.liveness.storages, bound: lowered.liveness.peakElements ?? 0)
    XCTAssertEqual(BufferPlan(lowered, splitSteps: Array(repeating: true, count: lowered.steps.count)).storageOffsets,
                   greedy.offsets)
    let (_, mobile) = try MemoryPlanTests.network("""
      input 28x28x256
      conv 256 1x1 | relu
      dwconv 3x3 p1 | relu
      conv 256 1x1 | relu
      dwconv 3x3 p1 | relu
      conv 256 1x1 | relu
      dwconv 3x3 p1 | relu
      conv 256 1x1
      """)
    let chain = LoweredNetwork(mobile)
    let plain = BufferPlan.place(chain.liveness.storages, bound: chain.liveness.peakElements ?? 0)
    XCTAssertEqual(BufferPlan(chain).storageOffsets, plain.offsets, "one thread")
    XCTAssertEqual(BufferPlan(chain, splitSteps: Array(repeating: true, count: chain.steps.count)).storageOffsets,
                   plain.offsets, "the peak leaves no third block")
  }
}
