import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceParsing

@Suite("HTTPDate")
struct HTTPDateTests {
    static let rfcExample = Date(timeIntervalSince1970: 784_111_777)

    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(Self.rfcExample) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: -1)) == "Wed, 31 Dec 1969 23:59:59 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 1_700_000_000)) == "Tue, 14 Nov 2023 22:13:20 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 4_102_444_800)) == "Fri, 01 Jan 2100 00:00:00 GMT")
    }

    @Test func formatTruncatesFractionalSeconds() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777.999)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: -0.5)) == "Wed, 31 Dec 1969 23:59:59 GMT")
    }

    @Test func formatClampsExtremes() {
        #expect(HTTPDate.format(.distantFuture) == "Mon, 01 Jan 4001 00:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: .infinity)) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 1e300)) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: -.infinity)) == "Mon, 01 Jan 0001 00:00:00 GMT")
        #expect(HTTPDate.format(.distantPast) == "Mon, 01 Jan 0001 00:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: .nan)) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994",
        "  Sun, 06 Nov 1994 08:49:37 GMT\t",
        "sun, 06 nov 1994 08:49:37 GMT",
        "SUNDAY, 06-NOV-94 08:49:37 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT",
    ])
    func parsesAllForms(text: String) {
        #expect(HTTPDate.parse(text) == Self.rfcExample)
    }

    @Test func parsesEdgeDates() {
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(HTTPDate.parse("Tue, 29 Feb 2000 00:00:00 GMT") == Date(timeIntervalSince1970: 951_782_400))
        #expect(HTTPDate.parse("Thu, 29 Feb 2024 12:00:00 GMT") == Date(timeIntervalSince1970: 1_709_208_000))
        #expect(HTTPDate.parse("Fri, 31 Dec 9999 23:59:59 GMT") == Date(timeIntervalSince1970: 253_402_300_799))
        #expect(HTTPDate.parse("Mon, 01 Jan 0001 00:00:00 GMT") == Date(timeIntervalSince1970: -62_135_596_800))
        // A leap second is accepted and normalized to the next minute.
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT") == Date(timeIntervalSince1970: 1_483_228_800))
        #expect(HTTPDate.parse("Wed, 09-Jun-21 10:18:14 GMT") == nil)
        #expect(HTTPDate.parse("Wednesday, 09-Jun-21 10:18:14 GMT") == Date(timeIntervalSince1970: 1_623_233_894))
    }

    @Test func rfc850TwoDigitYearsAreAtMostFiftyYearsAhead() throws {
        let date = try #require(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"))
        #expect(date == Self.rfcExample)
        let now = Date()
        for yy in 0...99 {
            let text = "Monday, 01-Jan-\(yy < 10 ? "0" : "")\(yy) 00:00:00 GMT"
            let parsed = try #require(HTTPDate.parse(text))
            #expect(parsed.timeIntervalSince(now) <= 51 * 366 * 86_400, "\(text)")
            #expect(now.timeIntervalSince(parsed) <= 50 * 366 * 86_400, "\(text)")
        }
    }

    @Test(arguments: [
        "",
        " ",
        "\u{0}",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "Sun, 06 Nov 1994 08:49:37 GMT ,",
        "Sun, 06 Nov 1994 08:49:37 GMTX",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun 06 Nov 1994 08:49:37 GMT ",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 29 Feb 1900 08:49:37 GMT",
        "Sun, 30 Feb 2000 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT",
        "Sun, 06 Nov 199a 08:49:37 GMT",
        "Sun, -6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT\u{0}",
        "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, ０６ Nov 1994 08:49:37 GMT",
        "Søn, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sundae, 06-Nov-94 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 UTC",
        ", 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov  6 08:49:37 1994 x",
        "Sun Nov _6 08:49:37 1994",
        "Sun Nov 31 08:49:37 1994",
        "784111777",
        "1994-11-06T08:49:37Z",
        "yesterday",
    ])
    func rejectsInvalid(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func rejectsOverlongInput() {
        #expect(HTTPDate.parse(String(repeating: " ", count: 100) + "Sun, 06 Nov 1994 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse(String(repeating: "x", count: 100_000)) == nil)
    }

    @Test func roundTripsRandomDates() throws {
        var rng = SplitMix64(seed: 0xDA7E)
        let span = UInt64(253_402_300_799 + 62_135_596_800)
        for _ in 0..<20_000 {
            let seconds = Int64(rng.next() % (span + 1)) - 62_135_596_800
            let date = Date(timeIntervalSince1970: Double(seconds))
            let text = HTTPDate.format(date)
            #expect(text.utf8.count == 29)
            #expect(HTTPDate.parse(text) == date, "\(text)")
        }
    }

    @Test func agreesWithFoundationSinceTheGregorianReform() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "GMT"))
        var rng = SplitMix64(seed: 0xCA1E)
        let start: Int64 = -12_212_553_600  // 1583-01-01
        let span = UInt64(253_402_300_799 - start)
        let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for _ in 0..<5_000 {
            let date = Date(timeIntervalSince1970: Double(Int64(rng.next() % span) + start))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
            func pad(_ value: Int?, _ width: Int) -> String {
                let digits = String(value ?? -1)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            let weekday = try #require(c.weekday)
            let month = try #require(c.month)
            let expected = "\(dayNames[weekday - 1]), \(pad(c.day, 2)) \(monthNames[month - 1]) \(pad(c.year, 4)) "
                + "\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)) GMT"
            #expect(HTTPDate.format(date) == expected)
        }
    }

    @Test func isSafeToUseConcurrently() async {
        let results = await withTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<2_000 {
                        let date = Date(timeIntervalSince1970: Double(worker * 1_000_003 + i * 86_401))
                        guard HTTPDate.parse(HTTPDate.format(date)) == date else { return false }
                    }
                    return true
                }
            }
            var all: [Bool] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
