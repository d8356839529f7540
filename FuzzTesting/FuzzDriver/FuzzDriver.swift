/// libFuzzer's driver, for the entry point of a fuzz executable.
///
/// SwiftPM links an executable with `main` defined as `<target>_main`, which `-parse-as-library`
/// leaves undefined and libFuzzer defines too; each executable defines `<target>_main` with
/// ``run(_:_:_:)``, and scripts/fuzz links with `--allow-multiple-definition`, so whichever
/// `main` the linker keeps runs libFuzzer over the executable's `LLVMFuzzerTestOneInput`.
public enum FuzzDriver {
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    @_silgen_name("LLVMFuzzerRunDriver")
    private static func runDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ test: TestOneInput
    ) -> Int32

    /// Runs libFuzzer with the process's arguments over `test`; returns its exit status.
    public static func run(
        _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ test: TestOneInput
    ) -> Int32 {
        var argc = argc
        var argv = argv
        return runDriver(&argc, &argv, test)
    }

    /// The bytes of one input.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }
}
