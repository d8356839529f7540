import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceCore
import SluiceParsing

/// `PUT /{filename}` (curl's `-T`) and `POST /` (browser forms): the two ways to upload.
struct UploadRoutes: Sendable {
    let pipeline: UploadPipeline
    let links: LinkBuilder
    let metrics: TrafficMetrics
    let progress: any ProgressPublisher
    /// Largest value of a non-file form field.
    static let maxFieldBytes = 1024

    func register(on router: Router<SluiceRequestContext>) {
        router.put("/") { request, context in try await put(request, rawName: nil, context: context) }
        // The router allows one parameter name per path position and GET calls the first
        // segment `id`; for a PUT that segment is the file name.
        router.put("/:id") { request, context in
            try await put(request, rawName: context.parameters.get("id"), context: context)
        }
        // `/files` is the tus prefix; the router would not fall back from it to `/:id`.
        router.put("/files") { request, context in try await put(request, rawName: "files", context: context) }
        router.post("/") { request, context in try await post(request, context: context) }
    }

    func put(_ request: Request, rawName: String?, context: SluiceRequestContext) async throws -> Response {
        let base = try links.base(for: request)
        let key = try UploadLimitsParser.progressID(from: request.headers)
        let name = try rawName.map(FileName.fromPathSegment)
        let limits = try await UploadLimitsParser.limitsHashingPassword(from: request.headers)
        let declaredLength = try RequestBodyReader.declared(request)
        // Without either, the body is empty by definition: almost surely not what the client meant.
        guard declaredLength != nil || request.headers[.transferEncoding] != nil else { throw SluiceError.lengthRequired }
        if let declaredLength, declaredLength > pipeline.maxUploadSize {
            throw SluiceError.tooLarge(limit: pipeline.maxUploadSize)
        }
        var reporter = try key.map { try ProgressReporter(hub: progress, key: $0, total: declaredLength, claiming: true) }
        var session: UploadSession?
        do {
            let upload = try await pipeline.begin(
                UploadOptions(name: name, contentType: MediaType.forFilename(name ?? "")), expectedLength: declaredLength)
            session = upload
            try await RequestBodyReader.forEachChunk(of: request, context: context, counting: metrics.bytesIn) { chunk in
                try await upload.write(chunk)
                reporter?.advance(by: chunk.readableBytes)
            }
            if let declaredLength, upload.received != declaredLength { throw SluiceError.clientDisconnected }
            // Hummingbird ends a body the same way whether its last chunk came or the connection
            // closed (the client went away, or the parser refused a chunk): a chunked body is
            // whole only if the connection is still there to hear the answer.
            if declaredLength == nil, !context.connectionIsOpen { throw SluiceError.clientDisconnected }
            let stored = try await upload.finish(limits)
            let response = try created([stored], base: base, request: request)
            reporter?.finish(url: links.fileURL(base: base, record: stored.record))
            return response
        } catch {
            await session?.abort()
            reporter?.fail(Self.reason(error))
            throw error
        }
    }

    func post(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let base = try links.base(for: request)
        var limits = try await UploadLimitsParser.limitsHashingPassword(from: request.headers)
        let key = try UploadLimitsParser.progressID(from: request.headers)
        guard let boundary = request.headers[.contentType].flatMap(MultipartBoundary.parse(contentType:)) else {
            throw SluiceError.unsupportedMediaType("POST / takes multipart/form-data with a boundary")
        }
        // For a form, progress counts the whole request body.
        let total = try RequestBodyReader.declared(request)
        var reporter = try key.map { try ProgressReporter(hub: progress, key: $0, total: total, claiming: true) }
        var form = FormUpload(pipeline: pipeline, parser: MultipartParser(boundary: boundary))
        do {
            try await RequestBodyReader.forEachChunk(of: request, context: context, counting: metrics.bytesIn) { chunk in
                try await form.consume(chunk)
                reporter?.advance(by: chunk.readableBytes)
            }
            try form.finishInput()
            // A form's limit fields left empty mean "no limit", as an absent field does.
            if let text = form.fields["maxDownloads"], !text.trimmingASCIISpaces.isEmpty {
                limits.maxDownloads = try UploadLimitsParser.parseMaxDownloads(text)
            }
            if let text = form.fields["maxDays"], !text.trimmingASCIISpaces.isEmpty {
                limits.maxDays = try UploadLimitsParser.parseMaxDays(text)
            }
            if let text = form.fields["password"], !text.isEmpty {
                limits.passwordHash = try await LinkPassword.hash(UploadLimitsParser.validatedPassword(Array(text.utf8)))
            }
            guard !form.sealed.isEmpty else { throw SluiceError.badRequest("the form holds no file") }
            var stored: [StoredFile] = []
            for session in form.sealed {
                stored.append(try await session.commit(limits))
            }
            let response = try created(stored, base: base, request: request)
            let urls = stored.map { links.fileURL(base: base, record: $0.record) }
            reporter?.finish(url: urls[0], urls: urls)
            return response
        } catch {
            await form.abortAll()
            reporter?.fail(Self.reason(error))
            throw error
        }
    }

    /// The short reason a failed upload reports to its watchers.
    static func reason(_ error: any Error) -> String {
        (error as? SluiceError)?.shortName ?? "internal"
    }

    /// The 201 answer: links one a line (or JSON), and for a single file `Location`,
    /// `X-Url-Delete` and `Repr-Digest`.
    private func created(_ files: [StoredFile], base: String, request: Request) throws -> Response {
        let json = files.map { file in
            FileJSON(
                record: file.record, url: links.fileURL(base: base, record: file.record),
                deleteURL: links.deleteURL(base: base, record: file.record, token: file.deleteToken))
        }
        var headers = HTTPFields()
        if let first = files.first, let firstJSON = json.first {
            headers[.location] = firstJSON.url
            headers[FileHeaders.deleteURL] = firstJSON.deleteURL
            headers[FileHeaders.reprDigest] = FileHeaders.reprDigest(sha256: first.record.sha256 ?? "")
        }
        let isForm = request.method == .post
        if ContentNegotiation.wantsJSON(request) {
            return isForm ? try JSONResponse.response(.created, json, headers: headers) : try JSONResponse.response(.created, json[0], headers: headers)
        }
        headers[.contentType] = "text/plain; charset=utf-8"
        let body = json.map { $0.url + "\n" }.joined()
        return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// The state of one multipart upload: the file being written, the files already sealed, and
/// the small text fields.
private struct FormUpload {
    let pipeline: UploadPipeline
    var parser: MultipartParser
    var current: UploadSession?
    var skippingPart = false
    var field: (name: String, value: ByteBuffer)?
    var fields: [String: String] = [:]
    var sealed: [UploadSession] = []

    mutating func consume(_ chunk: ByteBuffer) async throws {
        parser.append(chunk)
        while let event = try nextEvent() {
            switch event {
            case .partBegin(let headers):
                if let filename = headers.filename {
                    // A file input left empty sends a part with an empty filename: skip it.
                    skippingPart = filename.isEmpty
                    if !skippingPart {
                        let name = try FileName.validated(filename)
                        current = try await pipeline.begin(
                            UploadOptions(name: name, contentType: MediaType.forFilename(name)))
                    }
                } else {
                    field = (headers.name ?? "", ByteBuffer())
                }
            case .body(var bytes):
                if let current {
                    try await current.write(bytes)
                } else if field != nil {
                    guard field!.value.readableBytes + bytes.readableBytes <= UploadRoutes.maxFieldBytes else {
                        throw SluiceError.badRequest("form field \(field!.name) is too long")
                    }
                    field!.value.writeBuffer(&bytes)
                }
            case .partEnd:
                if let session = current {
                    current = nil
                    try await session.seal()
                    sealed.append(session)
                } else if let done = field {
                    fields[done.name] = String(buffer: done.value)
                    field = nil
                }
                skippingPart = false
            case .end:
                return
            }
        }
    }

    mutating func finishInput() throws {
        do {
            try parser.finish()
        } catch {
            throw SluiceError.badRequest("malformed multipart body: \(error)")
        }
    }

    func abortAll() async {
        await current?.abort()
        for session in sealed { await session.abort() }
    }

    private mutating func nextEvent() throws -> MultipartEvent? {
        do {
            return try parser.next()
        } catch {
            throw SluiceError.badRequest("malformed multipart body: \(error)")
        }
    }
}
