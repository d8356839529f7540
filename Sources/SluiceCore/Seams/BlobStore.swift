import NIOCore

/// Where the bytes of files live: local disk now, an S3 bucket later. Knows nothing of HTTP or SQL.
///
/// A blob is named only by the server-made ``FileID`` of its file. Implementations report a full
/// store as ``SluiceError/insufficientStorage``.
public protocol BlobStore: Sendable {
    /// Starts a new blob for `id` that will not grow past `maximumLength` bytes (stores that
    /// cut a blob into parts size them from it). Nothing is readable under `id` until the writer
    /// finishes.
    func makeWriter(for id: FileID, maximumLength: Int64) async throws -> any BlobWriter

    /// Hands the bytes of `range` (inclusive offsets; `nil` for everything) to `consume`, in
    /// order, one chunk at a time. The next chunk is read only after `consume` returns, so a slow
    /// consumer slows the reads instead of filling memory.
    func read(
        _ id: FileID,
        range: ClosedRange<Int64>?,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws

    /// The finished blob of `id` as an open file of this machine, for the server to have the
    /// kernel send it to a socket (`sendfile`) instead of copying it through ``read(_:range:into:)``;
    /// `nil` from stores that keep no local files. The caller closes it.
    func openFile(_ id: FileID) async throws -> (any BlobFile)?

    /// The bytes of `range` of the finished blob of `id` when they can be had at once, without
    /// waiting for a disk or a network (the file's path and pages are in the kernel's caches),
    /// so that an event loop may call it; `nil` otherwise, and always from stores that keep no
    /// local files. For small ranges: the bytes are read whole into memory.
    func readIfCached(_ id: FileID, range: ClosedRange<Int64>) -> ByteBuffer?

    /// Closes the files the store keeps open between reads (see ``readIfCached(_:range:)``)
    /// that no read uses now; the server calls it every few seconds, so a quiet store holds none.
    func closeIdleFiles()

    /// Opens the partial blob of a resumable upload to append to it, creating it when
    /// `durableLength` is 0. Bytes past `durableLength` (written after the last checkpoint) are
    /// cut off first, so the blob continues exactly where the metadata says it ends.
    ///
    /// `storeState` is what the writer's ``PartialBlobWriter/storeState`` said at the last
    /// checkpoint (`nil` at first): the metadata store keeps it, so any instance can continue.
    /// `maximumLength` bounds the whole blob, as for ``makeWriter(for:maximumLength:)``.
    func openPartial(
        _ id: FileID, durableLength: Int64, storeState: String?, maximumLength: Int64
    ) async throws -> any PartialBlobWriter

    /// Removes the blob of `id`, finished or partial; removing a blob that does not exist is not an error.
    func delete(_ id: FileID) async throws

    /// Removes what a crash of this process left behind (unfinished writes it alone owned);
    /// returns how many were removed.
    func removeLeftovers() async throws -> Int

    /// Calls `visit` with the id of every blob, finished or partial, so start-up recovery can find
    /// blobs without a record. Stores where a full listing is too slow may visit nothing.
    func forEachBlob(_ visit: (FileID) async throws -> Void) async throws

    /// Throws when the store cannot currently serve reads and writes.
    func checkHealth() async throws
}

/// A finished blob open as a file of this machine (see ``BlobStore/openFile(_:)``).
///
/// - Important: Call ``close()`` once nothing uses ``handle`` any more.
public protocol BlobFile: Sendable {
    /// The open file, for a `FileRegion`; valid until ``close()``.
    var handle: NIOFileHandle { get }

    /// Returns once the bytes of `range` are in the page cache, reading them on a file thread
    /// when they are not, so that sending them from an event loop does not wait for the disk.
    /// Throws ``SluiceError/notFound(_:)`` when the file no longer holds all of `range`.
    func loadIntoCache(_ range: Range<Int64>) async throws

    /// Closes ``handle``. Never throws.
    func close()
}

/// The write side of one blob, used by one upload at a time.
///
/// - Important: Call exactly one of ``finish()`` and ``abort()``.
public protocol BlobWriter: AnyObject {
    /// Appends `chunk`. Suspends until the store has taken it, which is what carries
    /// backpressure from the store back to the client's socket.
    func write(_ chunk: ByteBuffer) async throws

    /// Makes every byte durable and then visible under the blob's id.
    func finish() async throws

    /// Discards everything written. Never throws; failures are logged.
    func abort() async
}

/// The write side of a resumable upload's partial blob, used by one request at a time. What a
/// checkpoint made durable survives the writer, the request and a crash; the rest may not.
///
/// - Important: Call exactly one of ``complete()`` and ``close()``.
public protocol PartialBlobWriter: AnyObject {
    /// What the store needs kept with the upload's durable offset to open the blob again (for
    /// example an S3 multipart upload's id and parts); `nil` when the store needs nothing. It
    /// may change on opening and at each checkpoint.
    var storeState: String? { get }

    /// Appends `chunk`; suspends until the store has taken it (backpressure).
    func write(_ chunk: ByteBuffer) async throws

    /// Makes every byte written so far durable; returns the blob's durable length.
    func checkpoint() async throws -> Int64

    /// Makes every byte durable and turns the partial blob into the finished blob of its id.
    func complete() async throws

    /// Lets go of the blob; bytes written after the last checkpoint may be kept or lost. Never throws.
    func close() async
}
