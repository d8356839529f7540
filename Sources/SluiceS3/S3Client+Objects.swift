import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Stores an object in one request (up to 5 GiB), replacing any object with that key.
    /// - Returns: The object's ETag.
    @discardableResult
    public func putObject(key: String, body: S3Body, contentType: String = "application/octet-stream") async throws -> String {
        let request = S3Request(method: .PUT, key: key, headers: [(name: "content-type", value: contentType)], body: body)
        return try await perform(request) { response in
            try await discardBody(response)
            return try etag(of: response)
        }
    }

    /// The object's size and ETag, or nil if there is no object with that key.
    public func headObject(key: String) async throws -> S3ObjectInfo? {
        do {
            return try await perform(S3Request(method: .HEAD, key: key)) { response in
                guard let size = response.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
                    throw S3Error.invalidResponse("HEAD response without a Content-Length")
                }
                try await discardBody(response)
                return S3ObjectInfo(size: size, etag: try etag(of: response))
            }
        } catch S3Error.notFound {
            return nil
        }
    }

    /// Downloads an object, or the bytes `range` of it (both bounds included), handing the body
    /// to `consume` chunk by chunk; the next chunk is read only after `consume` returns.
    ///
    /// Throws ``S3Error/notFound(key:)`` if there is no such object, and a service error
    /// `InvalidRange` if `range` starts past its end.
    public func getObject(
        key: String,
        range: ClosedRange<Int64>? = nil,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        var headers: [(name: String, value: String)] = []
        if let range {
            precondition(range.lowerBound >= 0, "byte ranges start at 0 or later")
            headers.append((name: "range", value: "bytes=\(range.lowerBound)-\(range.upperBound)"))
        }
        try await perform(S3Request(method: .GET, key: key, headers: headers)) { response in
            if range != nil, response.status != .partialContent {
                throw S3Error.invalidResponse("asked for a byte range, got status \(response.status.code) instead of 206")
            }
            var chunks = response.body.makeAsyncIterator()
            while true {
                let chunk: ByteBuffer?
                do {
                    chunk = try await chunks.next()
                } catch {
                    throw S3Error.transport(error)
                }
                guard let chunk else { return }
                try await consume(chunk)
            }
        }
    }

    /// Deletes an object; deleting a missing one is not an error.
    public func deleteObject(key: String) async throws {
        do {
            try await perform(S3Request(method: .DELETE, key: key)) { try await discardBody($0) }
        } catch S3Error.notFound {
            return
        }
    }
}
