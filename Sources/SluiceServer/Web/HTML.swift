/// A fragment of HTML whose interpolated values are escaped unless they are `HTML` themselves,
/// so a file name can never become markup: `"<p>\(name)</p>" as HTML`.
struct HTML: ExpressibleByStringInterpolation, Sendable {
    private(set) var text: String

    init(stringLiteral text: String) { self.text = text }

    init(stringInterpolation: StringInterpolation) { self.text = stringInterpolation.text }

    /// Markup known to be safe, such as a constant.
    init(trusted text: String) { self.text = text }

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        /// Text, escaped for an element's content and for a quoted attribute value alike.
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        mutating func appendInterpolation(_ value: some BinaryInteger) { text += String(value) }

        mutating func appendInterpolation(_ fragment: HTML) { text += fragment.text }

        mutating func appendInterpolation(_ fragments: [HTML]) { text += fragments.map(\.text).joined() }
    }

    /// `&`, `<`, `>`, `"` and `'` as character references.
    static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
