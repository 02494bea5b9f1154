/// Branch-free `exp` and `tanh` emitted into the generated class for the activations.
///
/// Foundation's scalar `expf`/`tanhf` are library calls: LeNet-5's 6,500 `tanh` calls cost more
/// than all its multiply-adds, and a call in a loop stops LLVM from vectorizing it. These are
/// Cephes' `expf` (Cody–Waite range reduction, degree-5 polynomial, relative error ≈ 1e-7) and
/// `tanh(x) = (e^2x - 1) / (e^2x + 1)` (absolute error ≈ 1e-7), well inside the 1e-4 tolerance
/// the PyTorch agreement tests hold the generated code to; plain arithmetic, so loops over a
/// plane auto-vectorize.
enum Transcendental {
  /// The name of the generated `exp` helper (`Self.<name>(x)`).
  static func exp(_ context: KernelContext) -> String {
    context.helpers?.function("transcendental.exp") { name in expSource(name) } ?? "__exp"
  }

  /// The name of the generated `tanh` helper; it calls the `exp` helper.
  static func tanh(_ context: KernelContext) -> String {
    let exp = exp(context)
    return context.helpers?.function("transcendental.tanh") { name in
      """
        /// tanh(x) = (e^2x - 1) / (e^2x + 1), saturating at ±1 beyond |x| = 9.
        @inline(__always) private static func \(name)(_ x: Float) -> Float {
          let clamped = min(max(x, -9), 9)
          let e = \(exp)(2 * clamped)
          return (e - 1) / (e + 1)
        }
      """
    } ?? "__tanh"
  }

  static func expSource(_ name: String) -> String {
    """
      /// e^x as Cephes' expf: x = n·ln2 + r, a degree-5 polynomial in r, times 2^n. n is rounded
      /// with the 1.5·2^23 trick and 2^n built from its bits: no Float→Int conversion, which
      /// would trap on overflow and keep loops of this from vectorizing.
      @inline(__always) private static func \(name)(_ x: Float) -> Float {
        let clamped = min(max(x, -87.3), 88.3)
        let shifted = clamped * 1.44269504 + 12582912
        let n = shifted - 12582912
        let r = clamped - n * 0.693359375 + n * 2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = p * r * r + r + 1
        return e * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
      }
    """
  }
}
