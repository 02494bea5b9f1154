import CNNCore
import Foundation
import XCTest

/// The polyphase pooling kernel (stride 1 and 2, `ceil` overhang, floor leftovers, bands,
/// threading) and the row-buffer cases it leaves alone, against the reference interpreter.
extension CodeGenEndToEndTests {
  func testPoolingPaths() throws { try check("poolpaths.cnn") }
  func testPoolingBands() throws { try check("poolbands.cnn") }
  func testPoolingLaggedRows() throws { try check("poollag.cnn") }

  /// A NaN anywhere in a window is the window's maximum (ATen), on both max-pooling paths'
  /// `vmaxps`-style and NaN-propagating selects and on global max pooling's SIMD accumulators
  /// (`Pooling.nanMax`): NaNs sit at a first tap, a middle tap and a last tap of different
  /// windows; `g` reduces `b`'s 20-value planes (a vector and 4 more at 16 lanes).
  func testMaxPoolingPropagatesNaN() throws {
    let path = Self.specs.appendingPathComponent("poolnan.cnn").path
    let (channels, height, width) = (3, 9, 10)
    var input = SafetensorsWriter.values(channels * height * width, seed: 7, scale: 2)
    for index in [0, 2 * width + 5, height * width + 4 * width + 9, 2 * height * width + 8 * width + 3] {
      input[index] = .nan
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-nan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputPath = directory.appendingPathComponent("in.bin").path
    try GeneratedModelRunner.writeFloats(input, to: inputPath)
    let outputs = try GeneratedModelRunner.run(specPath: path, weightsPath: nil, inputPath: inputPath).get()
    let a = Self.maxPool(input, channels, height, width, kernel: 3, stride: 2, pad: 0, out: (4, 5))
    let b = Self.maxPool(a, channels, 4, 5, kernel: 3, stride: 1, pad: 1, out: (4, 5))
    let g = Self.maxPool(b, channels, 4, 5, kernel: 5, stride: 1, pad: 0, out: (1, 1))
    for (name, actual, expected) in [("a", outputs[0], a), ("b", outputs[1], b), ("g", outputs[2], g)] {
      XCTAssertEqual(actual.count, expected.count, name)
      XCTAssertGreaterThan(expected.filter(\.isNaN).count, 0, name)
      for (index, (value, reference)) in zip(actual, expected).enumerated() {
        XCTAssert(value == reference || (value.isNaN && reference.isNaN), "\(name)[\(index)]: \(value) vs \(reference)")
      }
    }
  }

  /// ATen's max pooling (C,H,W, clipped windows, NaN wins).
  private static func maxPool(_ x: [Float], _ channels: Int, _ height: Int, _ width: Int, kernel: Int, stride: Int,
                              pad: Int, out: (Int, Int)) -> [Float] {
    var y: [Float] = []
    for c in 0..<channels {
      for oy in 0..<out.0 {
        for ox in 0..<out.1 {
          var m = -Float.infinity
          for iy in (oy * stride - pad)..<(oy * stride - pad + kernel) where iy >= 0 && iy < height {
            for ix in (ox * stride - pad)..<(ox * stride - pad + kernel) where ix >= 0 && ix < width {
              let e = x[(c * height + iy) * width + ix]
              if e > m || e.isNaN { m = e }
            }
          }
          y.append(m)
        }
      }
    }
    return y
  }
}
