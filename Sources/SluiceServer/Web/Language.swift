import Foundation
import HTTPTypes
import Hummingbird

/// The languages the web pages speak, chosen by `Accept-Language`.
enum Language: String, CaseIterable, Sendable {
    case en
    case ru

    /// The language of a client that names none of ours.
    static let fallback = Language.en

    /// The language for `request`: `?lang=` when it names one of ours (the pages' language
    /// switch), else ``preferred(by:)`` of the request's `Accept-Language` lines.
    static func of(_ request: Request) -> Language {
        if let query = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            return query
        }
        return preferred(by: request.headers[values: .acceptLanguage].joined(separator: ","))
    }

    /// The supported language the header ranks highest (RFC 9110 §12.5.4, basic filtering on
    /// the primary subtag: `ru-RU` is Russian); ties go to the earlier entry, `*` stands for
    /// ``fallback``, `q=0` rules a language out, and a malformed entry is skipped. No header,
    /// or no match, gives ``fallback``.
    static func preferred(by acceptLanguage: String?) -> Language {
        var best: (language: Language, quality: Int)?
        for entry in (acceptLanguage ?? "").split(separator: ",") {
            guard let (range, quality) = parse(entry), quality > 0 else { continue }
            let primary = range.split(separator: "-", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            let language = primary == "*" ? fallback : Language(rawValue: primary)
            if let language, quality > best?.quality ?? 0 { best = (language, quality) }
        }
        return best?.language ?? fallback
    }

    /// One `range;q=value` entry as its range and its weight in thousandths, or nil.
    private static func parse(_ entry: Substring) -> (range: Substring, quality: Int)? {
        let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces)[...] }
        guard let range = parts.first, !range.isEmpty,
            range.allSatisfy({ $0 == "-" || $0 == "*" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
        else { return nil }
        var quality = 1000
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "q" else { continue }
            guard let value = qvalue(pair[1].trimmingCharacters(in: .whitespaces)) else { return nil }
            quality = value
        }
        return (range, quality)
    }

    /// RFC 9110 `qvalue`: `0`–`1` with at most three decimals, in thousandths.
    private static func qvalue(_ text: String) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0] == "0" || parts[0] == "1" else { return nil }
        var decimals = parts.count == 2 ? String(parts[1]) : ""
        guard decimals.count <= 3, decimals.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        decimals += String(repeating: "0", count: 3 - decimals.count)
        let value = Int(parts[0])! * 1000 + Int(decimals)!
        return value <= 1000 ? value : nil
    }
}
