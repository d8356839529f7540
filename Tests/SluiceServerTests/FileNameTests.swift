import Testing

@testable import SluiceServer

/// Display names are data: never a path, never a dot segment, never control characters.
@Suite struct FileNameTests {
    @Test func aNameKeepsOnlyItsLastPathSegment() throws {
        let cases = [
            ("report.pdf", "report.pdf"), ("../../etc/passwd", "passwd"), ("/etc/passwd", "passwd"),
            (#"C:\Windows\win.ini"#, "win.ini"), (#"..\..\boot.ini"#, "boot.ini"), ("a/b\\c d.txt", "c d.txt"),
            ("Отчёт/за 2024.pdf", "за 2024.pdf"), ("...", "..."), (".hidden", ".hidden"),
        ]
        for (sent, kept) in cases { #expect(try FileName.validated(sent) == kept, "\(sent)") }
    }

    @Test func emptyDotSegmentsLongOrControlNamesAreRefused() {
        let refused = [
            "", ".", "..", "dir/", "a/..", #"a\."#, "a\u{0}b", "line\nbreak", "del\u{7F}",
            String(repeating: "x", count: 1025), String(repeating: "/", count: 2000) + "x",
        ]
        for name in refused { #expect(throws: (any Error).self, "\(name.prefix(20))") { try FileName.validated(name) } }
    }

    @Test func aPathSegmentIsPercentDecodedFirst() throws {
        #expect(try FileName.fromPathSegment("..%2f..%2fetc%2fpasswd") == "passwd")
        #expect(try FileName.fromPathSegment("%D0%B2%D0%B8%D0%B4%D0%B5%D0%BE.mkv") == "видео.mkv")
        #expect(throws: (any Error).self) { try FileName.fromPathSegment("%2e%2e") }
        #expect(throws: (any Error).self) { try FileName.fromPathSegment("%C3%28") }
    }
}
