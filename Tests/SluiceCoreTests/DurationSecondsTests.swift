import SluiceCore
import Testing

/// Durations as Foundation's dates count them.
@Suite struct DurationSecondsTests {
    @Test func secondsOfADuration() {
        #expect(Duration.milliseconds(1500).seconds == 1.5)
        #expect(Duration.seconds(-2).seconds == -2)
    }
}
