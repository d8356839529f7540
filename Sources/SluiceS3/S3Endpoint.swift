/// The base URL of an S3 API: `http` or `https`, a host, and an optional port.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var usesTLS: Bool
    /// A DNS name or IP address (an IPv6 address in brackets, as in URLs).
    public var host: String
    /// The port, or nil for the scheme's default (80 or 443).
    public var port: Int?

    public init(usesTLS: Bool, host: String, port: Int? = nil) {
        self.usesTLS = usesTLS
        self.host = host
        self.port = port
    }

    /// Parses `http://host`, `https://host:port` (a trailing `/` is allowed; a path, query,
    /// fragment or user info is not).
    public init(parsing text: String) throws(S3Error) {
        let usesTLS: Bool
        let rest: Substring
        if text.lowercased().hasPrefix("https://") {
            (usesTLS, rest) = (true, text.dropFirst("https://".count))
        } else if text.lowercased().hasPrefix("http://") {
            (usesTLS, rest) = (false, text.dropFirst("http://".count))
        } else {
            throw .invalidLocation("endpoint '\(text)' must start with http:// or https://")
        }
        let authority = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !authority.contains(where: { "/?#@".contains($0) }) else {
            throw .invalidLocation("endpoint '\(text)' must be scheme://host[:port], without path, query or user info")
        }
        let hostEnd: Substring.Index
        if authority.hasPrefix("[") {
            guard let closingBracket = authority.firstIndex(of: "]") else {
                throw .invalidLocation("endpoint '\(text)' has an unclosed IPv6 bracket")
            }
            hostEnd = authority.index(after: closingBracket)
        } else {
            hostEnd = authority.firstIndex(of: ":") ?? authority.endIndex
        }
        guard hostEnd > authority.startIndex else {
            throw .invalidLocation("endpoint '\(text)' has no host")
        }
        var port: Int?
        let portPart = authority[hostEnd...]
        if !portPart.isEmpty {
            guard portPart.first == ":", let number = Int(portPart.dropFirst()), (1...65535).contains(number) else {
                throw .invalidLocation("endpoint '\(text)' has an invalid port")
            }
            port = number
        }
        self.init(usesTLS: usesTLS, host: String(authority[..<hostEnd]), port: port)
    }

    /// AWS S3's regional endpoint, `https://s3.REGION.amazonaws.com`.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(usesTLS: true, host: "s3.\(region).amazonaws.com")
    }

    public var description: String {
        "\(usesTLS ? "https" : "http")://\(authority(host: host))"
    }

    /// `host[:port]` for the given host name, the port left out when it is the scheme's default,
    /// as in the `Host` header.
    func authority(host: String) -> String {
        guard let port, port != (usesTLS ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }
}
