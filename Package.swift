// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "cnnc",
  products: [
    .executable(name: "cnnc", targets: ["cnnc"]),
    .library(name: "CNNCore", targets: ["CNNCore"]),
  ],
  targets: [
    .target(name: "CNNCore"),
    .executableTarget(name: "cnnc", dependencies: ["CNNCore"]),
    .testTarget(name: "CNNCoreTests", dependencies: ["CNNCore", "cnnc"], swiftSettings: [.unsafeFlags(["-O"])]),
  ],
  swiftLanguageModes: [.v6]
)
