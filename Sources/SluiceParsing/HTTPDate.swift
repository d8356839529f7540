import Foundation

/// HTTP-date (RFC 9110 §5.6.7) formatting and parsing without shared formatter state.
///
/// ``format(_:)`` always emits IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), truncating to
/// whole seconds and clamping to years 0001...9999. ``parse(_:)`` accepts IMF-fixdate, the
/// obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`, two-digit years resolved with the
/// RFC's "not more than 50 years in the future" rule) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Day and month names are matched case-insensitively; the day name is not checked against the
/// date. Both functions are pure and safe to call from any thread.
public enum HTTPDate {
    /// 0001-01-01T00:00:00Z.
    private static let minSeconds: Int = -62_135_596_800
    /// 9999-12-31T23:59:59Z.
    private static let maxSeconds: Int = 253_402_300_799

    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats `date` as IMF-fixdate; non-finite dates map to the nearest supported bound
    /// (NaN to the epoch).
    public static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let seconds: Int
        if interval.isNaN {
            seconds = 0
        } else if interval <= Double(minSeconds) {
            seconds = minSeconds
        } else if interval >= Double(maxSeconds) {
            seconds = maxSeconds
        } else {
            seconds = Int(interval.rounded(.down))
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = civilDate(days)

        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: dayNames[((days % 7) + 11) % 7].utf8)  // 1970-01-01 was a Thursday
        out.append(contentsOf: ", ".utf8)
        appendDigits(date.day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: monthNames[date.month].utf8)
        out.append(UInt8(ascii: " "))
        appendDigits(date.year, width: 4, to: &out)
        out.append(UInt8(ascii: " "))
        appendDigits(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: &out)
        out.append(contentsOf: " GMT".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses an HTTP-date in any of the three RFC 9110 forms; nil for anything else,
    /// including out-of-range fields such as `30 Feb` or `24:00:00`. Surrounding spaces and
    /// tabs are ignored.
    public static func parse(_ s: String) -> Date? {
        guard s.utf8.count <= 64 else { return nil }
        var bytes = Array(s.utf8)[...]
        while let b = bytes.first, b == 0x20 || b == 0x09 { bytes.removeFirst() }
        while let b = bytes.last, b == 0x20 || b == 0x09 { bytes.removeLast() }
        let b = Array(bytes)

        if b.count == 29, b[3] == UInt8(ascii: ",") {
            return parseIMFFixdate(b)
        }
        if b.count == 24, b[3] == UInt8(ascii: " ") {
            return parseAsctime(b)
        }
        return parseRFC850(b)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func parseIMFFixdate(_ b: [UInt8]) -> Date? {
        guard name(b, 0, 3, in: dayNames) != nil,
              literal(b, 3, ", "),
              let day = digits(b, 5, 2),
              literal(b, 7, " "),
              let month = name(b, 8, 3, in: monthNames),
              literal(b, 11, " "),
              let year = digits(b, 12, 4),
              literal(b, 16, " "),
              let time = timeOfDay(b, 17),
              literal(b, 25, " GMT")
        else { return nil }
        return makeDate(year: year, month: month, day: day, time: time)
    }

    /// `Sun Nov  6 08:49:37 1994`
    private static func parseAsctime(_ b: [UInt8]) -> Date? {
        guard name(b, 0, 3, in: dayNames) != nil,
              literal(b, 3, " "),
              let month = name(b, 4, 3, in: monthNames),
              literal(b, 7, " ")
        else { return nil }
        let day: Int
        if b[8] == UInt8(ascii: " "), let single = digits(b, 9, 1) {
            day = single
        } else if let double = digits(b, 8, 2) {
            day = double
        } else {
            return nil
        }
        guard literal(b, 10, " "),
              let time = timeOfDay(b, 11),
              literal(b, 19, " "),
              let year = digits(b, 20, 4)
        else { return nil }
        return makeDate(year: year, month: month, day: day, time: time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ b: [UInt8]) -> Date? {
        guard let comma = b.firstIndex(of: UInt8(ascii: ",")),
              b.count - comma == 24,
              name(b, 0, comma, in: longDayNames) != nil,
              literal(b, comma, ", "),
              let day = digits(b, comma + 2, 2),
              literal(b, comma + 4, "-"),
              let month = name(b, comma + 5, 3, in: monthNames),
              literal(b, comma + 8, "-"),
              let twoDigitYear = digits(b, comma + 9, 2),
              literal(b, comma + 11, " "),
              let time = timeOfDay(b, comma + 12),
              literal(b, comma + 20, " GMT")
        else { return nil }
        return makeDate(year: fullYear(twoDigitYear), month: month, day: day, time: time)
    }

    /// RFC 9110 §5.6.7: a two-digit year that appears more than 50 years in the future is in
    /// the past century.
    private static func fullYear(_ twoDigits: Int) -> Int {
        let currentYear = civilDate(Int(Date().timeIntervalSince1970.rounded(.down)) / 86_400).year
        var year = currentYear - currentYear % 100 + twoDigits
        if year > currentYear + 50 { year -= 100 }
        return year
    }

    private static func makeDate(
        year: Int, month: Int, day: Int, time: (hour: Int, minute: Int, second: Int)
    ) -> Date? {
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        let seconds = daysSince1970(year: year, month: month, day: day) * 86_400
            + time.hour * 3600 + time.minute * 60 + time.second
        return Date(timeIntervalSince1970: Double(seconds))
    }

    // The proleptic Gregorian calendar by arithmetic (Howard Hinnant's `days_from_civil` and
    // `civil_from_days`): the C library's `gmtime_r` and `timegm` read the time zone file
    // (`/etc/localtime`) on every call here, three system calls for each download's header.

    /// Days from 1970-01-01 to `year`-`month`-`day` (`month` 0-based), negative before it.
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let month = month + 1
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (`month` 0-based).
    private static func civilDate(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        let month = marchMonth < 10 ? marchMonth + 2 : marchMonth - 10
        return (yearOfEra + era * 400 + (month <= 1 ? 1 : 0), month, day)
    }

    /// `month` is 0-based.
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 1:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 3, 5, 8, 10:
            return 30
        default:
            return 31
        }
    }

    /// `HH:MM:SS` at `offset`, with a leap second allowed.
    private static func timeOfDay(_ b: [UInt8], _ offset: Int) -> (hour: Int, minute: Int, second: Int)? {
        guard let hour = digits(b, offset, 2), hour <= 23,
              literal(b, offset + 2, ":"),
              let minute = digits(b, offset + 3, 2), minute <= 59,
              literal(b, offset + 5, ":"),
              let second = digits(b, offset + 6, 2), second <= 60
        else { return nil }
        return (hour, minute, second)
    }

    /// Exactly `count` ASCII digits at `offset`.
    private static func digits(_ b: [UInt8], _ offset: Int, _ count: Int) -> Int? {
        guard offset >= 0, offset + count <= b.count else { return nil }
        var value = 0
        for byte in b[offset..<offset + count] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func literal(_ b: [UInt8], _ offset: Int, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard offset >= 0, offset + count <= b.count else { return false }
        return text.withUTF8Buffer { expected in
            expected.indices.allSatisfy { b[offset + $0] == expected[$0] }
        }
    }

    /// Index in `names` of the ASCII-case-insensitive name occupying `b[offset..<offset+length]`.
    private static func name(_ b: [UInt8], _ offset: Int, _ length: Int, in names: [String]) -> Int? {
        guard offset >= 0, offset + length <= b.count else { return nil }
        let candidate = b[offset..<offset + length]
        return names.firstIndex { name in
            name.utf8.count == length && zip(name.utf8, candidate).allSatisfy { lower($0) == lower($1) }
        }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte + 32 : byte
    }

    private static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
