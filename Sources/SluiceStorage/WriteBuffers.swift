import Synchronization

/// Memory for the chunks that files being written gather before each write, shared out among
/// them: one upload gathers ``largest`` bytes per write, a thousand slow ones the server is
/// behind on gather ``smallest`` each, so their buffers stay bounded in all. (A file written in
/// place on the uploads' executor gathers nothing once its share is below ``largest``.)
final class WriteBuffers: Sendable {
    static let largest = 128 * 1024
    static let smallest = 16 * 1024

    /// What all open files' buffers may hold together, as far as ``smallest`` allows.
    let bytes: Int
    private let openFiles = Atomic<Int>(0)

    /// 16 MiB: with 32 MiB, 1000 uploads gathered 32 KiB each beside their 32 KiB reads, and
    /// peaked 25-30 MiB higher (165-189 against 140-148 MiB) at the same throughput.
    init(bytes: Int = 16 << 20) {
        self.bytes = bytes
    }

    /// How much one file gathers before a write now: a power of two, as ByteBuffer allocates.
    var coalescingLimit: Int {
        let files = max(1, openFiles.load(ordering: .relaxed))
        let share = min(Self.largest, max(Self.smallest, bytes / files))
        return 1 << (Int.bitWidth - 1 - share.leadingZeroBitCount)
    }

    func opened() { openFiles.add(1, ordering: .relaxed) }
    func closed() { openFiles.subtract(1, ordering: .relaxed) }
}
