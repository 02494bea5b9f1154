// swift-tools-version:6.0
// A small app that runs a cnnc-generated model: MTCNN's O-Net with its real trained weights
// decides whether a picture shows a face. See Examples/README.md for the two commands.
import PackageDescription

let package = Package(
  name: "FaceCheck",
  targets: [
    .executableTarget(
      name: "FaceCheck",
      // Note: the generated file's header says it needs -target-cpu; without it SIMD FMAs
      // become library calls and the model runs ~100x slower. `native` is the build machine.
      swiftSettings: [.unsafeFlags(["-Ounchecked", "-target-cpu", "native"])]
    ),
  ],
  swiftLanguageModes: [.v6]
)
