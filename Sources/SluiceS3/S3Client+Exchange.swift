import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One S3 API call, before signing.
struct S3Request {
    var method: HTTPMethod
    /// The object's key relative to the location's prefix, or nil for the bucket itself.
    var key: String?
    /// Decoded query parameters; a flag such as `uploads` has an empty value.
    var query: [(name: String, value: String)] = []
    /// Headers to sign and send besides `host`, `x-amz-*` and `authorization`.
    var headers: [(name: String, value: String)] = []
    var body: S3Body?
}

extension S3Client {
    /// The most of an error body read: S3's `<Error>` documents are well under 1 KiB.
    static let maximumErrorBodySize = 64 << 10

    /// Signs and sends `request`, then hands a successful (2xx) response to `handleSuccess`
    /// while any request body is still open. Other statuses become ``S3Error``s.
    func perform<Result>(
        _ request: S3Request,
        handleSuccess: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        guard let body = request.body else {
            return try await exchange(request, body: nil, payloadHash: AWSSignatureV4.emptyPayloadHash, handleSuccess)
        }
        return try await body.withHTTPBody { httpBody, payloadHash in
            try await exchange(request, body: httpBody, payloadHash: payloadHash, handleSuccess)
        }
    }

    private func exchange<Result>(
        _ request: S3Request,
        body: HTTPClientRequest.Body?,
        payloadHash: String,
        _ handleSuccess: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        let httpRequest = signedHTTPRequest(request, body: body, payloadHash: payloadHash)
        let started = NIODeadline.now()
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(httpRequest, timeout: timeout(for: request), logger: logger)
        } catch {
            logger.debug("S3 request failed", metadata: metadata(request, ["s3.error": "\(error)"]))
            throw S3Error.transport(error)
        }
        let milliseconds = (NIODeadline.now() - started).nanoseconds / 1_000_000
        logger.debug("S3 response", metadata: metadata(request, ["s3.status": "\(response.status.code)", "s3.ms": "\(milliseconds)"]))
        guard (200..<300).contains(response.status.code) else {
            throw await error(from: response, for: request)
        }
        return try await handleSuccess(response)
    }

    private func signedHTTPRequest(_ request: S3Request, body: HTTPClientRequest.Body?, payloadHash: String) -> HTTPClientRequest {
        let (host, path) = location.target(forKey: request.key)
        let headers = request.headers + [(name: "host", value: host), (name: "x-amz-content-sha256", value: payloadHash)]
        let signature = signer.sign(
            method: request.method.rawValue, path: path, query: request.query, headers: headers,
            payloadHash: payloadHash, date: Date())

        let query = request.query.map { parameter in
            let name = URIEncoding.encodeComponent(parameter.name)
            return parameter.value.isEmpty ? name : "\(name)=\(URIEncoding.encodeComponent(parameter.value))"
        }
        let scheme = location.endpoint.usesTLS ? "https" : "http"
        var httpRequest = HTTPClientRequest(
            url: "\(scheme)://\(host)\(URIEncoding.encodePath(path))\(query.isEmpty ? "" : "?" + query.joined(separator: "&"))")
        httpRequest.method = request.method
        for header in headers + signature.headersToAdd {
            httpRequest.headers.add(name: header.name, value: header.value)
        }
        httpRequest.body = body
        return httpRequest
    }

    private func timeout(for request: S3Request) -> TimeAmount {
        let uploadSeconds = (request.body?.length ?? 0) / max(timeouts.minimumUploadBytesPerSecond, 1)
        return timeouts.request + .seconds(uploadSeconds)
    }

    /// The error for a non-2xx response, from its `<Error>` body when it has one.
    private func error(from response: HTTPClientResponse, for request: S3Request) async -> S3Error {
        let body = await readErrorBody(response)
        let details = (try? S3XML.parse(body)).flatMap(S3Messages.errorDetails)
        if response.status == .notFound, let key = request.key, details == nil || details?.code == "NoSuchKey" {
            return .notFound(key: key)
        }
        // Ceph RGW sends empty <Message>s; the HTTP status line is better than nothing.
        let message = details.flatMap { $0.message.isEmpty ? nil : $0.message }
        return .service(
            status: Int(response.status.code),
            code: details?.code ?? response.status.reasonPhrase.replacingOccurrences(of: " ", with: ""),
            message: message ?? "HTTP \(response.status.code) \(response.status.reasonPhrase)",
            requestID: details?.requestID ?? response.headers.first(name: "x-amz-request-id"))
    }

    /// Up to ``maximumErrorBodySize`` bytes of the body; the rest, and any failure to read it, is dropped.
    private func readErrorBody(_ response: HTTPClientResponse) async -> ByteBuffer {
        var collected = ByteBuffer()
        do {
            for try await var chunk in response.body {
                let room = Self.maximumErrorBodySize - collected.readableBytes
                if let part = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                    collected.writeImmutableBuffer(part)
                }
                if collected.readableBytes >= Self.maximumErrorBodySize { break }
            }
        } catch {
            logger.debug("could not read an S3 error body", metadata: ["s3.error": "\(error)"])
        }
        return collected
    }

    /// The body, which must be at most `limit` bytes.
    func collectBody(_ response: HTTPClientResponse, upTo limit: Int) async throws(S3Error) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw .invalidResponse("response body exceeds \(limit) bytes")
        } catch {
            throw .transport(error)
        }
    }

    /// The body parsed as XML, at most ``S3XML/maximumDocumentSize`` bytes.
    func readXML(_ response: HTTPClientResponse) async throws(S3Error) -> S3XMLElement {
        try S3XML.parse(try await collectBody(response, upTo: S3XML.maximumDocumentSize))
    }

    /// Reads and drops a body that carries nothing of use, so the connection can be reused.
    func discardBody(_ response: HTTPClientResponse) async throws(S3Error) {
        _ = try await collectBody(response, upTo: S3XML.maximumDocumentSize)
    }

    /// The response's `ETag` header.
    func etag(of response: HTTPClientResponse) throws(S3Error) -> String {
        guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
            throw .invalidResponse("response without an ETag header")
        }
        return etag
    }

    private func metadata(_ request: S3Request, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["s3.method": "\(request.method.rawValue)", "s3.bucket": "\(location.bucket)"]
        if let key = request.key {
            metadata["s3.key"] = "\(key)"
        }
        return metadata.merging(extra) { $1 }
    }
}
