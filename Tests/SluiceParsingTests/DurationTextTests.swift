import SluiceParsing
import Testing

/// `--tus-expiry` and the like: durations as people type them.
@Suite struct DurationTextTests {
    @Test(arguments: [
        ("90", Duration.seconds(90)), ("45m", .seconds(2700)), ("24h", .seconds(86_400)), ("1.5d", .seconds(129_600)),
        ("0.5s", .milliseconds(500)), (" 2h ", .seconds(7200)), ("106751991d", .seconds(9_223_372_022_400)),
    ])
    func accepted(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "h", "-1h", "1x", "1.h", ".5h", "1 h", "1e3", "24hh", "9999999999999999h",
        "3330000000084h", "999999999999999d", "9223372036854776s"])
    func refused(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
