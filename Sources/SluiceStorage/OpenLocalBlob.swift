import CLinux
import Glibc
import NIOCore
import NIOFileSystem
import NIOPosix
import SluiceCore

/// A finished blob of a ``LocalBlobStore`` open for the kernel to send: a page-cache check
/// (`cachestat`) on the calling thread, and a read on a file thread only for what is not there.
final class OpenLocalBlob: BlobFile {
    let handle: NIOFileHandle
    private let descriptor: CInt
    private let threads: NIOThreadPool

    /// Takes ownership of `descriptor`.
    init(descriptor: FileDescriptor, threads: NIOThreadPool) {
        self.descriptor = descriptor.rawValue
        self.handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor.rawValue)
        self.threads = threads
    }

    /// Checks first that the file still holds `range`: `sendfile` past a file's end sends
    /// nothing, and NIO would try again for ever.
    func loadIntoCache(_ range: Range<Int64>) async throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Errno(rawValue: errno) }
        guard Int64(status.st_size) >= range.upperBound else {
            throw SluiceError.notFound("the file is shorter than its record")
        }
        guard !range.isEmpty, clinux_range_cached(descriptor, range.lowerBound, Int64(range.count)) != 1 else { return }
        let descriptor = self.descriptor
        try await threads.runIfActive {
            let result = clinux_load_into_cache(descriptor, range.lowerBound, Int64(range.count))
            if result < 0 { throw Errno(rawValue: -result) }
        }
    }

    func close() {
        try? handle.close()
    }
}
