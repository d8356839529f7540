#if canImport(Glibc)
import Glibc
#endif

/// Writes the file at `path` to disk and asks the kernel to drop its pages from memory, so the
/// next read needs the disk; whether both calls succeeded.
public func dropCachedPages(_ path: String) -> Bool {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return fsync(descriptor) == 0 && posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0
}
