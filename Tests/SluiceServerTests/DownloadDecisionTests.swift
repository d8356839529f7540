import Foundation
import HTTPTypes
import SluiceParsing
import Testing

@testable import SluiceServer

@Suite("DownloadDecision")
struct DownloadDecisionTests {
    static let etag = "\"abc\""
    /// Sun, 06 Nov 1994 08:49:37 GMT plus a fraction that must be truncated away.
    static let lastModified = Date(timeIntervalSince1970: 784_111_777.75)
    static let lastModifiedString = "Sun, 06 Nov 1994 08:49:37 GMT"

    private func decide(
        _ fields: [(HTTPField.Name, String)],
        method: HTTPRequest.Method = .get,
        size: Int64 = 100,
        etag: String = Self.etag
    ) -> DownloadDecision {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPField(name: name, value: value)) }
        return DownloadDecision.decide(
            method: method, headers: headers, size: size, etag: etag, lastModified: Self.lastModified
        )
    }

    @Test func plainRequestsAreFull() {
        #expect(decide([]) == .full)
        #expect(decide([], method: .head) == .full)
        #expect(decide([], size: 0) == .full)
    }

    @Test(arguments: [HTTPRequest.Method.post, .put, .delete, .patch, .options])
    func otherMethodsIgnoreConditionalsAndRanges(method: HTTPRequest.Method) {
        #expect(decide([(.ifNoneMatch, Self.etag)], method: method) == .full)
        #expect(decide([(.ifModifiedSince, Self.lastModifiedString)], method: method) == .full)
        #expect(decide([(.range, "bytes=0-9")], method: method) == .full)
    }

    @Test(arguments: [
        "\"abc\"",
        "W/\"abc\"",
        "*",
        " \"abc\" ",
        "\"x\", \"abc\"",
        "\"x\",W/\"abc\"",
        "\"x\" ,\t\"y\", W/\"abc\"",
        ",,\"abc\"",
        "\"x\", *",
    ])
    func ifNoneMatchMatches(value: String) {
        #expect(decide([(.ifNoneMatch, value)]) == .notModified)
        #expect(decide([(.ifNoneMatch, value)], method: .head) == .notModified)
        #expect(decide([(.ifNoneMatch, value), (.range, "bytes=0-9")]) == .notModified)
    }

    @Test(arguments: [
        "",
        "\"abcd\"",
        "\"ab\"",
        "\"ABC\"",
        "abc",
        "\"abc",
        "w/\"abc\"",
        "W/abc",
        "\"x\" \"abc\"",
        "\"x\" \"abc\"z",
        "garbage, \"abc\"",
        "\"a,b\"",
        "\"\"",
    ])
    func ifNoneMatchDoesNotMatch(value: String) {
        #expect(decide([(.ifNoneMatch, value)]) == .full)
        // Its presence disables If-Modified-Since, even when that would match.
        #expect(decide([(.ifNoneMatch, value), (.ifModifiedSince, Self.lastModifiedString)]) == .full)
        #expect(decide([(.ifNoneMatch, value), (.range, "bytes=0-9")]) == .partial(ByteRange(first: 0, last: 9)))
    }

    @Test func entityTagsMayContainCommas() {
        #expect(decide([(.ifNoneMatch, "\"x\", \"a,b\"")], etag: "\"a,b\"") == .notModified)
        #expect(decide([(.ifNoneMatch, "\"a\", \"b\"")], etag: "\"a,b\"") == .full)
    }

    @Test func weakOwnEntityTagComparesWeakly() {
        #expect(decide([(.ifNoneMatch, "\"abc\"")], etag: "W/\"abc\"") == .notModified)
        #expect(decide([(.ifNoneMatch, "W/\"abc\"")], etag: "W/\"abc\"") == .notModified)
    }

    @Test func multipleIfNoneMatchFieldsAreCombined() {
        #expect(decide([(.ifNoneMatch, "\"x\""), (.ifNoneMatch, "\"abc\"")]) == .notModified)
    }

    @Test(arguments: [
        Self.lastModifiedString,
        "Sun, 06 Nov 1994 08:49:38 GMT",
        "Fri, 01 Jan 2100 00:00:00 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ])
    func ifModifiedSinceNotModified(value: String) {
        #expect(decide([(.ifModifiedSince, value)]) == .notModified)
        #expect(decide([(.ifModifiedSince, value)], method: .head) == .notModified)
        #expect(decide([(.ifModifiedSince, value), (.range, "bytes=0-9")]) == .notModified)
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:36 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "",
        "yesterday",
        "784111777",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC",
    ])
    func ifModifiedSinceModifiedOrInvalid(value: String) {
        #expect(decide([(.ifModifiedSince, value)]) == .full)
    }

    @Test func rangesApplyToGetAndHead() {
        for method in [HTTPRequest.Method.get, .head] {
            #expect(decide([(.range, "bytes=0-9")], method: method) == .partial(ByteRange(first: 0, last: 9)))
            #expect(decide([(.range, "bytes=-10")], method: method) == .partial(ByteRange(first: 90, last: 99)))
            #expect(decide([(.range, "bytes=90-")], method: method) == .partial(ByteRange(first: 90, last: 99)))
            #expect(decide([(.range, "bytes=100-")], method: method) == .unsatisfiable)
            #expect(decide([(.range, "bytes=0-0")], method: method, size: 0) == .unsatisfiable)
            #expect(decide([(.range, "bytes=5-3")], method: method) == .full)
            #expect(decide([(.range, "items=0-5")], method: method) == .full)
            #expect(decide([(.range, "")], method: method) == .full)
            #expect(decide([(.range, "bytes=0-1,5-6")], method: method) == .full)
        }
    }

    @Test func repeatedRangeFieldsAreIgnored() {
        #expect(decide([(.range, "bytes=0-1"), (.range, "bytes=5-6")]) == .full)
    }

    @Test(arguments: [
        Self.etag,
        " \"abc\" ",
        Self.lastModifiedString,
    ])
    func ifRangeHolds(value: String) {
        let firstTen = DownloadDecision.partial(ByteRange(first: 0, last: 9))
        #expect(decide([(.range, "bytes=0-9"), (.ifRange, value)]) == firstTen)
        #expect(decide([(.range, "bytes=0-9"), (.ifRange, value)], method: .head) == firstTen)
        #expect(decide([(.range, "bytes=500-"), (.ifRange, value)]) == .unsatisfiable)
    }

    @Test(arguments: [
        "W/\"abc\"",
        "\"abd\"",
        "\"abc\", \"x\"",
        "\"ABC\"",
        "abc",
        "",
        "*",
        "Sun, 06 Nov 1994 08:49:38 GMT",
        "Sun, 06 Nov 1994 08:49:36 GMT",
        "Sunday, 06-Nov-94 08:49:38 GMT",
        "not a date",
    ])
    func ifRangeFails(value: String) {
        #expect(decide([(.range, "bytes=0-9"), (.ifRange, value)]) == .full)
        #expect(decide([(.range, "bytes=500-"), (.ifRange, value)]) == .full)
    }

    @Test func ifRangeOtherDateForms() {
        let secondByte = DownloadDecision.partial(ByteRange(first: 1, last: 1))
        #expect(decide([(.range, "bytes=1-1"), (.ifRange, "Sun Nov  6 08:49:37 1994")]) == secondByte)
        #expect(decide([(.range, "bytes=1-1"), (.ifRange, "Sunday, 06-Nov-94 08:49:37 GMT")]) == secondByte)
    }

    @Test func ifRangeNeverMatchesAWeakOwnTag() {
        #expect(decide([(.range, "bytes=0-9"), (.ifRange, "\"abc\"")], etag: "W/\"abc\"") == .full)
        #expect(decide([(.range, "bytes=0-9"), (.ifRange, "W/\"abc\"")], etag: "W/\"abc\"") == .full)
    }

    @Test func ifRangeWithoutRangeIsIrrelevant() {
        #expect(decide([(.ifRange, Self.etag)]) == .full)
        #expect(decide([(.ifRange, "\"other\"")]) == .full)
    }

    @Test func ifRangeDoesNotRescueAnInvalidRange() {
        #expect(decide([(.range, "bytes=abc"), (.ifRange, Self.etag)]) == .full)
    }

    @Test func notModifiedBeatsRangeAndIfRange() {
        #expect(decide([(.ifNoneMatch, "*"), (.range, "bytes=0-9"), (.ifRange, "\"other\"")]) == .notModified)
        #expect(decide([(.ifModifiedSince, Self.lastModifiedString), (.range, "bytes=500-")]) == .notModified)
    }

    @Test func wholeSecondLastModifiedMatchesExactly() {
        var headers = HTTPFields()
        headers[.ifRange] = "Thu, 01 Jan 1970 00:00:00 GMT"
        headers[.range] = "bytes=0-0"
        let decision = DownloadDecision.decide(
            method: .get, headers: headers, size: 1, etag: Self.etag, lastModified: Date(timeIntervalSince1970: 0)
        )
        #expect(decision == .partial(ByteRange(first: 0, last: 0)))
        headers[.ifRange] = nil
        headers[.ifModifiedSince] = "Thu, 01 Jan 1970 00:00:00 GMT"
        let later = DownloadDecision.decide(
            method: .get, headers: headers, size: 1, etag: Self.etag, lastModified: Date(timeIntervalSince1970: 1)
        )
        #expect(later == .partial(ByteRange(first: 0, last: 0)))
    }
}
