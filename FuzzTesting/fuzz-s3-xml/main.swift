// libFuzzer over the S3 client's response reading (see S3XMLHarness). Built by scripts/fuzz.
import FuzzDriver
import SluiceFuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    S3XMLHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

@_cdecl("fuzz_s3_xml_main")
public func fuzzS3XMLMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    FuzzDriver.run(argc, argv, testOneInput)
}
