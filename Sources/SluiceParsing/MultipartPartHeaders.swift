/// The headers of one `multipart/form-data` part that Sluice cares about.
///
/// - `name`: the `name` parameter of `Content-Disposition: form-data`.
/// - `filename`: `filename*` (RFC 8187, UTF-8 or ISO-8859-1) if present and understood, else `filename`
///   (raw UTF-8 bytes as browsers send them, Latin-1 if not valid UTF-8, `%22` decoded to `"`),
///   reduced to its last `/`- or `\`-separated component. It is *not* otherwise sanitised: it may be
///   empty, `..`, or contain any character; callers must validate it before using it as a path.
/// - `contentType`: the part's `Content-Type` value, trimmed, or nil if absent.
public struct MultipartPartHeaders: Equatable, Sendable {
    public var name: String?
    public var filename: String?
    public var contentType: String?

    public init(name: String? = nil, filename: String? = nil, contentType: String? = nil) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
    }

    /// Parses a part's header block: the bytes between the boundary line and the empty line, i.e.
    /// zero or more `Name: value` lines, each terminated by CRLF. The caller has already checked that
    /// CR only occurs as part of CRLF and that there are no other control bytes except HTAB.
    /// Throws `.malformed` for folded lines, invalid header names, duplicate `Content-Disposition` /
    /// `Content-Type`, and a missing or non-`form-data` `Content-Disposition`.
    public static func parse(headerBlock bytes: [UInt8]) throws(MultipartError) -> MultipartPartHeaders {
        var headers = MultipartPartHeaders()
        var sawDisposition = false
        var sawContentType = false
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != MultipartHeaderSyntax.cr { lineEnd += 1 }
            let line = bytes[lineStart..<lineEnd]
            lineStart = lineEnd + 2  // skip CRLF
            guard let first = line.first else { continue }
            if first == MultipartHeaderSyntax.space || first == MultipartHeaderSyntax.tab {
                throw .malformed("obsolete header line folding")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw .malformed("header line without colon")
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(MultipartHeaderSyntax.isTokenChar) else {
                throw .malformed("invalid header name")
            }
            let value = MultipartHeaderSyntax.trimmed(line[(colon + 1)...])
            switch MultipartHeaderSyntax.lowercased(name) {
            case "content-disposition":
                guard !sawDisposition else { throw .malformed("duplicate Content-Disposition") }
                sawDisposition = true
                try headers.applyDisposition(value)
            case "content-type":
                guard !sawContentType else { throw .malformed("duplicate Content-Type") }
                sawContentType = true
                headers.contentType = MultipartHeaderSyntax.decodeText(value)
            default:
                continue
            }
        }
        guard sawDisposition else { throw .malformed("missing Content-Disposition") }
        return headers
    }

    private mutating func applyDisposition(_ value: ArraySlice<UInt8>) throws(MultipartError) {
        guard let parsed = MultipartHeaderSyntax.parseParameterized(value) else {
            throw .malformed("invalid Content-Disposition")
        }
        guard MultipartHeaderSyntax.lowercased(parsed.primary) == "form-data" else {
            throw .malformed("Content-Disposition is not form-data")
        }
        var rawName: [UInt8]?
        var rawFilename: [UInt8]?
        var extFilename: [UInt8]?
        for (key, raw) in parsed.parameters {
            switch key {
            case "name":
                guard rawName == nil else { throw .malformed("duplicate name parameter") }
                rawName = raw
            case "filename":
                guard rawFilename == nil else { throw .malformed("duplicate filename parameter") }
                rawFilename = raw
            case "filename*":
                guard extFilename == nil else { throw .malformed("duplicate filename* parameter") }
                extFilename = raw
            default:
                continue
            }
        }
        name = rawName.map { MultipartHeaderSyntax.decodeText(Self.decodingPercent22($0)) }
        var file: String?
        if let extFilename { file = try Self.decodeExtValue(extFilename) }
        if file == nil, let rawFilename { file = MultipartHeaderSyntax.decodeText(Self.decodingPercent22(rawFilename)) }
        filename = file
    }

    /// Decodes an RFC 8187 `ext-value` (`charset'[language]'pct-encoded`). Returns nil for a charset
    /// other than UTF-8 / ISO-8859-1 (so `filename` is used instead); throws `.malformed` on bad syntax
    /// or if the decoded bytes contain control characters (e.g. `%00`, `%0A`).
    public static func decodeExtValue(_ bytes: [UInt8]) throws(MultipartError) -> String? {
        let quote = UInt8(ascii: "'")
        guard let first = bytes.firstIndex(of: quote),
            let second = bytes[(first + 1)...].firstIndex(of: quote)
        else { throw .malformed("invalid filename* value") }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count - second)
        var index = second + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = MultipartHeaderSyntax.hexValue(bytes[index + 1]),
                    let low = MultipartHeaderSyntax.hexValue(bytes[index + 2])
                else { throw .malformed("invalid percent-encoding in filename*") }
                let value = high << 4 | low
                guard value >= 0x20, value != 0x7F else { throw .malformed("control character in filename*") }
                decoded.append(value)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        switch MultipartHeaderSyntax.lowercased(bytes[..<first]) {
        case "utf-8":
            guard let text = String(validating: decoded, as: UTF8.self) else {
                throw .malformed("filename* is not valid UTF-8")
            }
            return text
        case "iso-8859-1":
            return MultipartHeaderSyntax.latin1(decoded)
        default:
            return nil
        }
    }

    /// Replaces `%22` with `"` (the HTML form encoding escapes `"` that way; `%0A`/`%0D` are left alone).
    public static func decodingPercent22(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                bytes[index + 1] == UInt8(ascii: "2"), bytes[index + 2] == UInt8(ascii: "2")
            {
                result.append(UInt8(ascii: "\""))
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }}

/// Byte-level helpers for HTTP-style header values (RFC 9110 tokens, quoted-strings, parameters).
public enum MultipartHeaderSyntax {
    public static let cr = UInt8(ascii: "\r")
    public static let lf = UInt8(ascii: "\n")
    public static let space = UInt8(ascii: " ")
    public static let tab = UInt8(ascii: "\t")

    /// RFC 9110 `tchar`.
    public static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// The value of an ASCII hex digit, or nil.
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// ASCII-lowercases bytes into a String (non-ASCII bytes are decoded leniently; only used for comparisons).
    public static func lowercased(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Strips leading and trailing spaces and tabs.
    public static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == space || first == tab { slice = slice.dropFirst() }
        while let last = slice.last, last == space || last == tab { slice = slice.dropLast() }
        return slice
    }

    /// Decodes bytes as UTF-8, or as ISO-8859-1 if they aren't valid UTF-8. Never fails.
    public static func decodeText(_ bytes: some Collection<UInt8>) -> String {
        String(validating: bytes, as: UTF8.self) ?? latin1(bytes)
    }

    /// Decodes bytes as ISO-8859-1 (each byte is the Unicode scalar of the same value).
    public static func latin1(_ bytes: some Collection<UInt8>) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return text
    }

    /// Parses `primary *( OWS ";" OWS [ name OWS "=" OWS value ] )` where value is a token-like run
    /// (any bytes above 0x20 except `"` and `;`) or a quoted-string. Parameter names are lowercased.
    /// In quoted-strings `\` only escapes `"` and `\`; any other backslash is kept literally (browsers
    /// and old IE send unescaped Windows paths). Returns nil on syntax errors or control bytes.
    public static func parseParameterized(
        _ bytes: some Collection<UInt8>
    ) -> (primary: [UInt8], parameters: [(String, [UInt8])])? {
        let input = Array(bytes)
        var index = 0
        func skipOWS() { while index < input.count, input[index] == space || input[index] == tab { index += 1 } }
        while index < input.count, input[index] != UInt8(ascii: ";") { index += 1 }
        let primary = Array(trimmed(input[0..<index]))
        guard !primary.isEmpty, primary.allSatisfy({ isTokenChar($0) || $0 == UInt8(ascii: "/") }) else { return nil }
        var parameters: [(String, [UInt8])] = []
        while index < input.count {
            index += 1  // skip ";"
            skipOWS()
            if index == input.count || input[index] == UInt8(ascii: ";") { continue }
            let nameStart = index
            while index < input.count, isTokenChar(input[index]) { index += 1 }
            let name = lowercased(input[nameStart..<index])
            skipOWS()
            guard !name.isEmpty, index < input.count, input[index] == UInt8(ascii: "=") else { return nil }
            index += 1
            skipOWS()
            var value: [UInt8] = []
            if index < input.count, input[index] == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < input.count {
                    var byte = input[index]
                    if byte == UInt8(ascii: "\"") { closed = true; index += 1; break }
                    if byte == UInt8(ascii: "\\"), index + 1 < input.count,
                        input[index + 1] == UInt8(ascii: "\"") || input[index + 1] == UInt8(ascii: "\\")
                    {
                        index += 1
                        byte = input[index]
                    }
                    guard byte >= 0x20 || byte == tab, byte != 0x7F else { return nil }
                    value.append(byte)
                    index += 1
                }
                guard closed else { return nil }
            } else {
                while index < input.count, input[index] > 0x20, input[index] != 0x7F,
                    input[index] != UInt8(ascii: "\""), input[index] != UInt8(ascii: ";")
                {
                    value.append(input[index])
                    index += 1
                }
                guard !value.isEmpty else { return nil }
            }
            skipOWS()
            guard index == input.count || input[index] == UInt8(ascii: ";") else { return nil }
            parameters.append((name, value))
        }
        return (primary, parameters)
    }
}
