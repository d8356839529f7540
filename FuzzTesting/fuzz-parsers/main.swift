// libFuzzer over the hand-written parsers (see ParserHarness). Built by scripts/fuzz.
import FuzzDriver
import SluiceFuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ParserHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("fuzz_parsers_main")
public func fuzzParsersMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    FuzzDriver.run(argc, argv, testOneInput)
}
