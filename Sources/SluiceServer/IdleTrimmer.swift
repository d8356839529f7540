import CLinux
import ServiceLifecycle
import SluiceCore

/// Hands back, every `interval`, what a burst of work left behind: the blob files kept open
/// between reads that no read uses now (``BlobStore/closeIdleFiles()``), and the memory the
/// allocator keeps.
///
/// glibc keeps what is freed inside its heaps for reuse: after 1000 concurrent uploads had
/// ended, the server still held 0.72 GiB of freed memory, and `malloc_trim` brought it to
/// 51 MiB. Without glibc only the files are closed.
struct IdleTrimmer: Service {
    let interval: Duration
    let blobs: any BlobStore

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            blobs.closeIdleFiles()
            clinux_trim_memory()
        }
    }
}
