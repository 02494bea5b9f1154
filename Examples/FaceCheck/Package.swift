// swift-tools-version:6.0
// A small app that runs a cnnc-generated model: MTCNN's O-Net with its real trained weights
// decides whether a picture shows a face. See Examples/README.md for the two commands.
import PackageDescription

let package = Package(
  name: "FaceCheck",
  targets: [
    .executableTarget(
      name: "FaceCheck",
      // The generated file's header names its build flags: -target-cpu (`native` is the build
      // machine) and -D CNNC_FMA, which makes its multiply-adds fused. Without both it still
      // runs, multiplying then adding; CNNC_FMA without -target-cpu would be ~100x slower.
      swiftSettings: [.unsafeFlags(["-Ounchecked", "-target-cpu", "native"]), .define("CNNC_FMA")]
    ),
  ],
  swiftLanguageModes: [.v6]
)
