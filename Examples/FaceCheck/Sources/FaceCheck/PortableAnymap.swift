import Foundation

/// An 8-bit RGB image read from a binary PPM (`P6`) or PGM (`P5`, grey copied to all three
/// channels) file: the simplest formats every image tool can write (`convert x.jpg x.ppm`).
struct PortableAnymap {
  var width: Int
  var height: Int
  /// Interleaved R, G, B bytes, row by row.
  var pixels: [UInt8]

  enum ReadError: Error, CustomStringConvertible {
    case unsupported(String), truncated
    var description: String {
      switch self {
      case .unsupported(let magic): return "not a binary PPM/PGM file (magic '\(magic)'); expected P6 or P5"
      case .truncated: return "the image file ends before its pixels do"
      }
    }
  }

  init(contentsOf url: URL) throws {
    let bytes = [UInt8](try Data(contentsOf: url))
    var index = 0
    func token() -> String {
      while index < bytes.count {
        if bytes[index] == UInt8(ascii: "#") {
          while index < bytes.count && bytes[index] != 10 { index += 1 }
        } else if bytes[index] == 32 || (9...13).contains(bytes[index]) {
          index += 1
        } else { break }
      }
      let start = index
      while index < bytes.count, bytes[index] > 32 { index += 1 }
      return String(decoding: bytes[start..<index], as: UTF8.self)
    }
    let magic = token()
    guard magic == "P6" || magic == "P5" else { throw ReadError.unsupported(magic) }
    guard let width = Int(token()), let height = Int(token()), let maximum = Int(token()),
      width > 0, height > 0, maximum == 255
    else { throw ReadError.unsupported(magic + " with an unusual header") }
    index += 1  // the single whitespace byte after the header
    let channels = magic == "P6" ? 3 : 1
    guard bytes.count - index >= width * height * channels else { throw ReadError.truncated }
    let body = bytes[index..<(index + width * height * channels)]
    self.width = width
    self.height = height
    self.pixels = channels == 3 ? Array(body) : body.flatMap { [$0, $0, $0] }
  }

  /// The image resized to `size`x`size` by area averaging (PyTorch's `interpolate(mode="area")`,
  /// which MTCNN uses), as C,H,W floats normalised like facenet-pytorch: (x - 127.5) / 128.
  func networkInput(size: Int) -> [Float] {
    var result = [Float](repeating: 0, count: 3 * size * size)
    for oy in 0..<size {
      let y0 = oy * height / size, y1 = ((oy + 1) * height + size - 1) / size
      for ox in 0..<size {
        let x0 = ox * width / size, x1 = ((ox + 1) * width + size - 1) / size
        for channel in 0..<3 {
          var sum = 0
          for y in y0..<y1 {
            for x in x0..<x1 { sum += Int(pixels[(y * width + x) * 3 + channel]) }
          }
          let mean = Float(sum) / Float((y1 - y0) * (x1 - x0))
          result[(channel * size + oy) * size + ox] = (mean - 127.5) * 0.0078125
        }
      }
    }
    return result
  }
}
