import Foundation

/// Where a bucket lives and how to address it, usually parsed from a URL such as
/// `s3://bucket/prefix/?endpoint=http://127.0.0.1:7480&region=us-east-1&path-style=true`.
///
/// Keys given to ``S3Client`` are relative to ``keyPrefix``.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    /// Prepended to every key: empty, or ending in `/`.
    public var keyPrefix: String
    public var endpoint: S3Endpoint
    public var region: String
    /// `https://endpoint/bucket/key` (path style) rather than `https://bucket.endpoint/key`
    /// (virtual-host style; over TLS it needs a bucket name without dots).
    public var usesPathStyle: Bool

    /// - Parameters:
    ///   - endpoint: nil for AWS S3 in `region`.
    ///   - usesPathStyle: nil for the default: path style for an explicit endpoint (self-hosted
    ///     stores such as Ceph RGW or MinIO), virtual-host style for AWS.
    public init(
        bucket: String,
        keyPrefix: String = "",
        endpoint: S3Endpoint? = nil,
        region: String = "us-east-1",
        usesPathStyle: Bool? = nil
    ) throws(S3Error) {
        try Self.validate(bucket: bucket)
        try Self.validate(region: region)
        self.bucket = bucket
        self.keyPrefix = keyPrefix.isEmpty || keyPrefix.hasSuffix("/") ? keyPrefix : keyPrefix + "/"
        self.endpoint = endpoint ?? .aws(region: region)
        self.region = region
        self.usesPathStyle = usesPathStyle ?? (endpoint != nil)
    }

    /// Parses `s3://BUCKET[/PREFIX/][?endpoint=URL&region=REGION&path-style=true|false]`.
    ///
    /// The region defaults to `AWS_REGION` from `environment`, else `us-east-1`; the endpoint to
    /// AWS S3 in that region. A prefix gets a trailing `/` if it lacks one. Parameter values may
    /// be percent-encoded; unknown or repeated parameters are errors, to catch typos.
    public init(parsing url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(S3Error) {
        guard url.hasPrefix("s3://") else {
            throw .invalidLocation("'\(url)' must start with s3://")
        }
        guard !url.contains("#") else {
            throw .invalidLocation("'\(url)' must not have a fragment (#)")
        }
        let afterScheme = url.dropFirst("s3://".count)
        let pathAndQuery = afterScheme.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let bucketAndPrefix = pathAndQuery[0].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(bucketAndPrefix[0])
        guard !bucket.isEmpty else {
            throw .invalidLocation("'\(url)' has no bucket name")
        }
        let encodedPrefix = bucketAndPrefix.count > 1 ? String(bucketAndPrefix[1]) : ""
        guard let prefix = encodedPrefix.removingPercentEncoding else {
            throw .invalidLocation("'\(url)' has a malformed %-escape in its key prefix")
        }
        let parameters = try Self.parameters(pathAndQuery.count > 1 ? pathAndQuery[1] : "", in: url)

        let region = parameters["region"] ?? environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        let endpoint = try parameters["endpoint"].map { text throws(S3Error) in try S3Endpoint(parsing: text) }
        var usesPathStyle: Bool?
        switch parameters["path-style"] {
        case nil: usesPathStyle = nil
        case "true": usesPathStyle = true
        case "false": usesPathStyle = false
        case let other?: throw .invalidLocation("path-style must be true or false, not '\(other)'")
        }
        try self.init(bucket: bucket, keyPrefix: prefix, endpoint: endpoint, region: region, usesPathStyle: usesPathStyle)
    }

    public var description: String {
        let prefix = URIEncoding.encodePath(keyPrefix)
        return "s3://\(bucket)/\(prefix)?endpoint=\(endpoint)&region=\(region)&path-style=\(usesPathStyle)"
    }

    /// The `Host` header and decoded URL path of the bucket (`key` nil) or of the object with
    /// `key` (relative to ``keyPrefix``).
    func target(forKey key: String?) -> (host: String, path: String) {
        let fullKey = key.map { keyPrefix + $0 }
        if usesPathStyle {
            return (endpoint.authority(host: endpoint.host), fullKey.map { "/\(bucket)/\($0)" } ?? "/\(bucket)")
        }
        return (endpoint.authority(host: "\(bucket).\(endpoint.host)"), "/\(fullKey ?? "")")
    }

    private static let parameterNames: Set<String> = ["endpoint", "region", "path-style"]

    private static func parameters(_ query: Substring, in url: String) throws(S3Error) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard nameAndValue.count == 2, let name = nameAndValue[0].removingPercentEncoding,
                let value = nameAndValue[1].removingPercentEncoding
            else {
                throw .invalidLocation("'\(url)': parameter '\(pair)' must be name=value")
            }
            guard parameterNames.contains(name) else {
                throw .invalidLocation("'\(url)': unknown parameter '\(name)' (known: endpoint, region, path-style)")
            }
            guard parameters.updateValue(value, forKey: name) == nil else {
                throw .invalidLocation("'\(url)': parameter '\(name)' is given twice")
            }
        }
        return parameters
    }

    /// S3's bucket naming rules: 3–63 characters of lower-case letters, digits, `.` and `-`,
    /// starting and ending with a letter or digit.
    private static func validate(bucket: String) throws(S3Error) {
        let isAllowed: (Character) -> Bool = { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }
        let isAlphanumeric: (Character) -> Bool = { $0.isASCII && ($0.isLowercase || $0.isNumber) }
        guard (3...63).contains(bucket.count), bucket.allSatisfy(isAllowed),
            let first = bucket.first, isAlphanumeric(first), let last = bucket.last, isAlphanumeric(last)
        else {
            throw .invalidLocation(
                "bucket name '\(bucket)' must be 3–63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit")
        }
    }

    private static func validate(region: String) throws(S3Error) {
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw .invalidLocation("region '\(region)' must be lower-case letters, digits and '-', e.g. us-east-1")
        }
    }
}
