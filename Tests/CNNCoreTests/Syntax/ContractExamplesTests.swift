import CNNCore
import XCTest

/// The examples of `shared/design/language.md`, checked as the contract states them.
final class ContractExamplesTests: XCTestCase {
  static let alexNet = """
    # AlexNet, 2012 — the two-GPU split written as groups
    network AlexNet                 # generated Swift type name (default: file name, UpperCamelCase)
    input 227x227x3                 # H x W x C, as the literature writes it ("227*227*3")

    conv1: conv 96 11x11 s4 | relu | lrn 5 | maxpool 3 s2
    conv 256 5x5 p2 g2 | relu | lrn 5 | maxpool 3 s2
    conv 384 3x3 p1 | relu
    conv 384 3x3 p1 g2 | relu
    conv 256 3x3 p1 g2 | relu | maxpool 3 s2
    flatten
    fc 4096 | relu | dropout 0.5
    fc 4096 | relu | dropout 0.5
    fc 1000 | softmax

    """

  func compile(_ text: String, name: String = "spec.cnn") -> Compilation {
    Compilation(name: name, text: text)
  }

  func testAlexNetExampleChecksWithPaperShapes() throws {
    let checked = try XCTUnwrap(compile(Self.alexNet).network)
    XCTAssertEqual(checked.network.name, "AlexNet")
    let byName = Dictionary(uniqueKeysWithValues: zip(checked.layers.map(\.name), checked.shapes))
    XCTAssertEqual(byName["conv1"], Shape(55, 55, 96))
    XCTAssertEqual(byName["maxpool1"], Shape(27, 27, 96))
    XCTAssertEqual(byName["conv2"], Shape(27, 27, 256))
    XCTAssertEqual(byName["maxpool3"], Shape(6, 6, 256))
    XCTAssertEqual(byName["flatten1"], Shape(1, 1, 9216))
    XCTAssertEqual(checked.outputShapes, [Shape(1, 1, 1000)])
    XCTAssertEqual(checked.layers.last?.name, "softmax1")
  }

  /// The contract: AlexNet on 224x224 is an error showing the arithmetic, the unread column
  /// and the fixes (input 227x227x3, or pad=2), exit 1.
  func testAlexNetAt224IsTheContractError() throws {
    let text = Self.alexNet.replacingOccurrences(of: "input 227x227x3", with: "input 224x224x3")
    let compilation = compile(text, name: "alexnet.cnn")
    XCTAssertNil(compilation.network)
    XCTAssertEqual(compilation.diagnostics.count, 1)
    let diagnostic = try XCTUnwrap(compilation.diagnostics.first)
    XCTAssertEqual(diagnostic.id, .nonIntegral)
    XCTAssertEqual(diagnostic.message,
      "'conv1' does not cover its input: (224 - 11 + 0)/4 + 1 = 54.25, so input row 223 and column 223 are never read")
    XCTAssertEqual(diagnostic.fixIts.map(\.message),
                   ["use input 227x227x3", "use pad=2 (then only padding is left unread)"])
    XCTAssertEqual(diagnostic.fixIts.first?.edits.first?.replacement, "227x227x3")
    let location = compilation.source.location(of: diagnostic.range.start)
    XCTAssertEqual([location.line, location.column], [5, 8])
  }

  func testBlockExamplesCheck() throws {
    let text = """
      input 28x28x192
      concat {                        # Inception: every branch reads the same input,
        conv 64 1x1 | relu            # outputs are joined along channels, in branch order
        conv 96 1x1 | relu | conv 128 3x3 p1 | relu
        maxpool 3 s1 p1 | conv 32 1x1 | relu
      }

      add {                           # ResNet: branches must agree in every dimension
        conv 128 3x3 s2 p1 | bn | relu | conv 128 3x3 p1 | bn
        conv 128 1x1 s2 | bn          # projection; a branch `identity` is the plain skip
      } | relu
      """
    let checked = try XCTUnwrap(compile(text).network)
    XCTAssertEqual(checked.shapes[checked.layers.firstIndex { $0.name == "concat1" }!], Shape(28, 28, 224))
    XCTAssertEqual(checked.outputShapes, [Shape(14, 14, 128)])
  }

  func testOutputHeadsAndReferences() throws {
    let text = """
      input 8x8x3
      trunk: conv 16 3x3 p1 | relu
      @trunk | box: fc 4
      @trunk | cls: fc 10 | softmax
      output @cls, @box
      """
    let checked = try XCTUnwrap(compile(text).network)
    XCTAssertEqual(checked.network.outputs.map { checked.layers[$0].name }, ["cls", "box"])
    XCTAssertEqual(checked.outputShapes, [Shape(1, 1, 10), Shape(1, 1, 4)])
  }

  func testDefinitionsRepeatAndModuleTreeNames() throws {
    let text = """
      input 56x56x64
      def basic(c, s=1) {
        conv1: conv c 3x3 stride=s p1 bias=false | bn1: bn | relu
        conv2: conv c 3x3 p1 bias=false | bn2: bn
      }
      layer1: repeat 2 { add { basic(64); identity } | relu }
      layer2.0: basic(128, s=2)
      """
    let checked = try XCTUnwrap(compile(text).network)
    let names = checked.layers.map(\.name)
    for expected in ["layer1.0.conv1", "layer1.1.bn2", "layer2.0.conv1", "layer2.0.bn2"] {
      XCTAssertTrue(names.contains(expected), "missing \(expected) in \(names)")
    }
    XCTAssertEqual(checked.outputShapes, [Shape(28, 28, 128)])
  }

  func testEveryNumberAndOptionForm() throws {
    let text = """
      input 227*227*3
      conv 8 kernel=3x3 stride=2x1 pad=1x2 floor | conv 8 1x3 pad=0,1,0,1 | conv 8 3 pad=same
      conv 8 3x3 pad=valid d2 g2 bias=false | bn eps=1e-3 | leakyrelu 0.2 | elu
      dwconv 16 3x3 p1 | avgpool 2 ceil count_include_pad=false | maxpool 3 s1 p1
      lrn 5 alpha=1e-4 beta=0.75 k=2 | prelu | swish | silu | hswish | hsigmoid | relu6
      conv 1 1x1 | conv 1 1x3 pad=0,1,0,1 weights=[1, 0,  # a comment inside the list
        -1] bias=[0.5] | deconv 4 4x4 s2 p1 outpad=1 | upsample 2 | zeropad 1,2,1,2
      adaptiveavgpool 6 | spp 1,2 | dense 10 | linear 5 | sigmoid | tanh | identity | dropout
      """
    let compilation = compile(text)
    XCTAssertEqual(compilation.diagnostics.map(\.message), [])
    XCTAssertEqual(compilation.network?.outputShapes, [Shape(1, 1, 5)])
  }
}
