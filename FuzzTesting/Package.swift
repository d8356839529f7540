// swift-tools-version:6.1
import Foundation
import PackageDescription

// The libFuzzer executables, apart from the root package so that a plain `swift build` of it
// never builds them: only scripts/fuzz does, with `-sanitize=fuzzer,address -parse-as-library`
// (see FuzzDriver for how their `main` comes about).

/// The root package's identity: its directory's name, whatever the clone is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "SluiceFuzzTesting",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzDriver", path: "FuzzDriver"),
        .executableTarget(
            name: "fuzz-parsers", dependencies: ["FuzzDriver", .product(name: "SluiceFuzzHarness", package: root)],
            path: "fuzz-parsers"),
        .executableTarget(
            name: "fuzz-s3-xml", dependencies: ["FuzzDriver", .product(name: "SluiceFuzzHarness", package: root)],
            path: "fuzz-s3-xml"),
    ]
)
