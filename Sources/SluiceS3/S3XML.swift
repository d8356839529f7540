import Foundation
import NIOCore

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An element of an S3 XML document: its name, its text, and its child elements.
/// Namespaces and attributes are dropped; S3 responses carry nothing in them.
struct S3XMLElement: Equatable {
    var name: String
    var text = ""
    var children: [S3XMLElement] = []

    /// The first child element named `name`.
    func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// All child elements named `name`, in document order.
    func children(_ name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child element named `name`.
    func text(of name: String) -> String? {
        child(name)?.text
    }
}

/// Reading and writing the small XML documents of the S3 API.
enum S3XML {
    /// The most response XML read into memory; S3's largest (1000-entry listings) are a few hundred KiB.
    static let maximumDocumentSize = 16 << 20

    /// Parses a document, ignoring whitespace before it (S3 may send spaces while it works on
    /// `CompleteMultipartUpload`).
    static func parse(_ buffer: ByteBuffer) throws(S3Error) -> S3XMLElement {
        var document = buffer
        while let byte = document.getInteger(at: document.readerIndex, as: UInt8.self), isWhitespace(byte) {
            document.moveReaderIndex(forwardBy: 1)
        }
        guard document.readableBytes > 0 else {
            throw .invalidResponse("expected an XML document, got an empty body")
        }
        guard document.readableBytes <= maximumDocumentSize else {
            throw .invalidResponse("XML document of \(document.readableBytes) bytes exceeds \(maximumDocumentSize)")
        }
        let body: ArraySlice<UInt8>
        switch contentForFoundationXML(Array(document.readableBytesView)) {
        case .success(let content): body = content
        case .failure(let problem): throw .invalidResponse("XML document \(problem.reason)")
        }
        let parser = XMLParser(data: Data(body))
        let builder = TreeBuilder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0)" } ?? "no root element"
            throw .invalidResponse("malformed XML (\(reason)): \(String(decoding: document.readableBytesView.prefix(200), as: UTF8.self))")
        }
        return root
    }

    /// Why a document is not handed to FoundationXML.
    struct UnsafeDocument: Error {
        var reason: String
    }

    /// What of `document` FoundationXML may parse: the document without its `<?xml …?>`
    /// declaration, or why none of it. FoundationXML crashes the process on some malformed input
    /// (found by scripts/fuzz: it force-unwraps element names that are not UTF-8, and calls
    /// `strlen` on the missing data of a bare `<?xml?>` or of a processing instruction inside a
    /// broken declaration), so only what S3 documents hold gets through: UTF-8 text without
    /// control characters but tab, CR and LF, at most one leading declaration (checked here and
    /// never passed on; the text is UTF-8 already), and no other `<?` or `<!` but CDATA sections
    /// (no processing instructions, DOCTYPE or comments).
    static func contentForFoundationXML(_ document: [UInt8]) -> Result<ArraySlice<UInt8>, UnsafeDocument> {
        guard String(validating: document, as: UTF8.self) != nil else { return .failure(.init(reason: "that is not UTF-8")) }
        guard document.allSatisfy({ $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
            return .failure(.init(reason: "with control characters"))
        }
        var body = document[...]
        if body.starts(with: Array("<?xml".utf8)) {
            let declaration = body.dropFirst(5)
            guard let end = declaration.firstRange(of: Array("?>".utf8)),
                declaration.first.map(isWhitespace) == true,
                !declaration[..<end.lowerBound].contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") })
            else { return .failure(.init(reason: "with a broken XML declaration")) }
            body = declaration[end.upperBound...]
        }
        let cdata = Array("<![CDATA[".utf8)
        for index in body.indices.dropLast() where body[index] == UInt8(ascii: "<") {
            let next = body[index + 1]
            if next == UInt8(ascii: "?") || (next == UInt8(ascii: "!") && !body[index...].starts(with: cdata)) {
                return .failure(.init(reason: "with a processing instruction, declaration or comment"))
            }
        }
        return .success(body)
    }

    /// Escapes text for an XML element's content or attribute value.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\r": escaped += "&#13;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    /// Collects `XMLParser` events into a tree of ``S3XMLElement``.
    private final class TreeBuilder: NSObject, XMLParserDelegate {
        private var open: [S3XMLElement] = []
        private(set) var root: S3XMLElement?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            open.append(S3XMLElement(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !open.isEmpty { open[open.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if !open.isEmpty { open[open.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let element = open.popLast() else { return }
            if open.isEmpty {
                root = element
            } else {
                open[open.count - 1].children.append(element)
            }
        }
    }
}
