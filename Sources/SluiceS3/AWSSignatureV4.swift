import Crypto
import Foundation
import NIOCore

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`, Authorization-header form) with S3's URI rules.
///
/// Pure: the same request, credentials and date always give the same signature. The path is
/// given decoded (`/bucket/my key.txt`) and URI-encoded once, segment by segment, as S3 requires;
/// the generic SigV4 rules for other services encode the path a second time and normalize
/// `.`/`..` segments, which S3 must not do, so this signer does neither.
public struct AWSSignatureV4: Sendable {
    public var credentials: S3Credentials
    public var region: String
    /// The signing name of the service: `s3` for every S3-compatible store.
    public var service: String

    /// The value of `x-amz-content-sha256` for a body sent without hashing it first.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The SHA-256 of an empty body, in hex.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let algorithm = "AWS4-HMAC-SHA256"

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The hex SHA-256 of a body, for `x-amz-content-sha256` and the canonical request.
    public static func payloadHash(of body: ByteBuffer) -> String {
        body.withUnsafeReadableBytes { hex(SHA256.hash(data: $0)) }
    }

    /// Signs a request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method, e.g. `GET`.
    ///   - path: The decoded URL path, starting with `/`.
    ///   - query: The decoded query parameters, in any order (a flag such as `uploads` has an empty value).
    ///   - headers: The headers to sign, `host` among them; the signer adds `x-amz-date` and,
    ///     for temporary credentials, `x-amz-security-token` (any given ones are replaced).
    ///     S3 also expects `x-amz-content-sha256` (equal to `payloadHash`) among them.
    ///   - payloadHash: The body's hex SHA-256, or ``unsignedPayload``.
    ///   - date: The signing time; the request must reach the server within 15 minutes of it.
    public func sign(
        method: String,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)],
        payloadHash: String,
        date: Date
    ) -> Signature {
        let amzDate = date.formatted(Self.amzDateStyle)
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"

        var headerValues: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard !Self.generatedHeaderNames.contains(name) else { continue }
            headerValues[name, default: []].append(Self.normalizedHeaderValue(header.value))
        }
        headerValues["x-amz-date"] = [amzDate]
        if let sessionToken = credentials.sessionToken {
            headerValues["x-amz-security-token"] = [sessionToken]
        }
        let headerNames = headerValues.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonicalHeaders = headerNames.map { "\($0):\(headerValues[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = headerNames.joined(separator: ";")

        let canonicalRequest = [
            method.uppercased(),
            path.isEmpty ? "/" : URIEncoding.encodePath(path),
            Self.canonicalQueryString(query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let stringToSign = [
            Self.algorithm,
            amzDate,
            scope,
            Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: amzDate.prefix(8))))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"

        var headersToAdd = [(name: "Authorization", value: authorization), (name: "x-amz-date", value: amzDate)]
        if let sessionToken = credentials.sessionToken {
            headersToAdd.append((name: "x-amz-security-token", value: sessionToken))
        }
        return Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signedHeaders: signedHeaders,
            signature: signature,
            authorization: authorization,
            headersToAdd: headersToAdd
        )
    }

    /// The outcome of signing: the headers to send, and the intermediate strings (for tests and debugging).
    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        /// The `;`-joined lower-case names of the signed headers.
        public let signedHeaders: String
        /// The hex signature.
        public let signature: String
        /// The `Authorization` header value.
        public let authorization: String
        /// `Authorization`, `x-amz-date` and, for temporary credentials, `x-amz-security-token`.
        public let headersToAdd: [(name: String, value: String)]
    }

    private static let generatedHeaderNames: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]

    /// `20150830T123600Z`, always in UTC.
    private static let amzDateStyle = Date.ISO8601FormatStyle(
        dateSeparator: .omitted, dateTimeSeparator: .standard, timeSeparator: .omitted, timeZone: .gmt)

    private func signingKey(day: Substring) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [String(day), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    private static func canonicalQueryString(_ query: [(name: String, value: String)]) -> String {
        query
            .map { (name: URIEncoding.encodeComponent($0.name), value: URIEncoding.encodeComponent($0.value)) }
            .sorted {
                $0.name == $1.name
                    ? $0.value.utf8.lexicographicallyPrecedes($1.value.utf8)
                    : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
            }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    /// Trims the value and collapses each run of spaces and tabs inside it into one space.
    private static func normalizedHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
