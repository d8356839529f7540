import CSHA256Blocks

/// SHA-256 (FIPS 180-4) whose running state can be saved and restored, so a resumable upload can
/// continue its digest in another request, process or instance. swift-crypto cannot export its
/// state; this type exists for that alone. Whole blocks go through the x86-64 SHA instructions
/// (CSHA256Blocks) when the CPU has them, else through the Swift compression function below.
public struct ResumableSHA256: Sendable, Equatable {
    /// What compresses whole blocks. Both give identical states; the engine is not part of the
    /// state (``serialized``, ``==``), so a state saved with one continues with the other.
    enum Engine: Sendable {
        /// The Swift compression function in this file; runs everywhere.
        case portable
        /// `csha256_blocks` (SHA-NI); only where `csha256_has_hardware()` is 1.
        case hardware

        /// What ``ResumableSHA256/init()`` and ``ResumableSHA256/init(serialized:)`` use: the
        /// hardware engine when this CPU has the SHA extensions. Decided once per process.
        static let preferred: Engine = csha256_has_hardware() == 1 ? .hardware : .portable
    }

    /// The eight 32-bit words of the hash state, H0 to H7.
    private typealias Words = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    /// Storage for one 64-byte block.
    private typealias Block = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The version byte that starts ``serialized``.
    private static let formatVersion: UInt8 = 1
    /// Version byte, eight words, byte count; the pending bytes follow.
    private static let headerSize = 1 + 32 + 8

    private var words: Words = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// The first `byteCount % 64` bytes are input not yet compressed; the rest is meaningless.
    private var pending: Block = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Bytes hashed so far.
    public private(set) var byteCount: Int64 = 0

    /// What compresses this hasher's blocks; not part of the state.
    private let engine: Engine

    public init() {
        engine = .preferred
    }

    /// A hasher that compresses with `engine`, so tests can run both; `.hardware` only when it is
    /// ``Engine/preferred``.
    init(engine: Engine) {
        precondition(engine == .portable || Engine.preferred == .hardware, "this CPU has no SHA extensions")
        self.engine = engine
    }

    /// How many bytes of `pending` are input.
    private var pendingCount: Int { Int(byteCount & 63) }

    /// Hashes the bytes in `bufferPointer`.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard var input = bufferPointer.baseAddress, bufferPointer.count > 0 else { return }
        let engine = self.engine
        var remaining = bufferPointer.count
        let buffered = pendingCount
        byteCount += Int64(remaining)

        if buffered > 0 {
            let taken = min(64 - buffered, remaining)
            withUnsafeMutableBytes(of: &pending) {
                $0.baseAddress!.advanced(by: buffered).copyMemory(from: input, byteCount: taken)
            }
            input += taken
            remaining -= taken
            guard buffered + taken == 64 else { return }
            withUnsafeBytes(of: pending) { Self.compress(&words, $0.baseAddress!, blocks: 1, engine: engine) }
        }
        let blocks = remaining / 64
        if blocks > 0 {
            Self.compress(&words, input, blocks: blocks, engine: engine)
            input += blocks * 64
            remaining -= blocks * 64
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: input, byteCount: remaining) }
        }
    }

    /// Hashes `bytes`; copies them first unless they are stored contiguously.
    public mutating func update<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable {
            update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if done == nil {
            Array(bytes).withUnsafeBytes { update(bufferPointer: $0) }
        }
    }

    /// The digest of everything hashed so far; does not change the state (more bytes may follow).
    public func finalize() -> [UInt8] {
        var words = self.words
        let buffered = pendingCount
        let bitCount = UInt64(byteCount) &* 8
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { tail in
            let base = tail.baseAddress!
            base.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
            withUnsafeBytes(of: pending) { base.copyMemory(from: $0.baseAddress!, byteCount: buffered) }
            base.storeBytes(of: 0x80, toByteOffset: buffered, as: UInt8.self)
            let blocks = buffered < 56 ? 1 : 2
            base.storeBytes(of: bitCount.bigEndian, toByteOffset: blocks * 64 - 8, as: UInt64.self)
            Self.compress(&words, UnsafeRawPointer(base), blocks: blocks, engine: engine)
        }
        return Self.bigEndianBytes(of: words)
    }

    /// The state in a stable binary form: version byte, the eight words and the byte count
    /// (big-endian), then the `byteCount % 64` pending bytes; 41 to 104 bytes.
    public var serialized: [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(Self.headerSize + 63)
        result.append(Self.formatVersion)
        result += Self.bigEndianBytes(of: words)
        withUnsafeBytes(of: UInt64(byteCount).bigEndian) { result += $0 }
        withUnsafeBytes(of: pending) { result += $0.prefix(pendingCount) }
        return result
    }

    /// Restores a state written by ``serialized``; nil when the bytes are not such a state (wrong
    /// version, wrong length, pending length inconsistent with the byte count).
    public init?(serialized: some Collection<UInt8>) {
        self.init(serialized: serialized, engine: .preferred)
    }

    /// ``init(serialized:)`` with a chosen engine, for tests; `.hardware` only when it is
    /// ``Engine/preferred``.
    init?(serialized: some Collection<UInt8>, engine: Engine) {
        self.init(engine: engine)
        let bytes = Array(serialized)
        guard bytes.count >= Self.headerSize, bytes[0] == Self.formatVersion else { return nil }
        let count = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 33, as: UInt64.self).bigEndian }
        guard count <= UInt64(Int64.max), bytes.count == Self.headerSize + Int(count & 63) else { return nil }
        bytes.withUnsafeBytes { raw in
            withUnsafeMutableBytes(of: &words) { target in
                for index in 0..<8 {
                    let word = raw.loadUnaligned(fromByteOffset: 1 + 4 * index, as: UInt32.self).bigEndian
                    target.storeBytes(of: word, toByteOffset: 4 * index, as: UInt32.self)
                }
            }
            withUnsafeMutableBytes(of: &pending) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[Self.headerSize...]))
            }
        }
        byteCount = Int64(count)
    }

    /// Equal when the ``serialized`` forms are: the same words, byte count and pending bytes.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.byteCount == rhs.byteCount else { return false }
        let sameWords = withUnsafeBytes(of: lhs.words) { l in
            withUnsafeBytes(of: rhs.words) { r in l.elementsEqual(r) }
        }
        let count = lhs.pendingCount
        let samePending = withUnsafeBytes(of: lhs.pending) { l in
            withUnsafeBytes(of: rhs.pending) { r in l.prefix(count).elementsEqual(r.prefix(count)) }
        }
        return sameWords && samePending
    }

    /// The eight words as 32 big-endian bytes.
    private static func bigEndianBytes(of words: Words) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            withUnsafeBytes(of: words) { source in
                for index in 0..<8 {
                    let word = source.load(fromByteOffset: 4 * index, as: UInt32.self)
                    target.storeBytes(of: word.bigEndian, toByteOffset: 4 * index, as: UInt32.self)
                }
            }
            initialized = 32
        }
    }

    /// Runs the compression function over `blocks` consecutive 64-byte blocks at `input` (any
    /// alignment) with `engine`.
    @inline(__always)
    private static func compress(_ words: inout Words, _ input: UnsafeRawPointer, blocks: Int, engine: Engine) {
        switch engine {
        case .hardware:
            // Eight UInt32s, contiguous: the layout csha256_blocks's `uint32_t state[8]` wants.
            withUnsafeMutableBytes(of: &words) { state in
                csha256_blocks(
                    state.baseAddress!.assumingMemoryBound(to: UInt32.self), input.assumingMemoryBound(to: UInt8.self),
                    blocks)
            }
        case .portable:
            compressPortably(&words, input, blocks: blocks)
        }
    }

    /// The Swift compression function over `blocks` consecutive 64-byte blocks at `input`.
    private static func compressPortably(_ words: inout Words, _ input: UnsafeRawPointer, blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { buffer in
            roundConstants.withUnsafeBufferPointer { constants in
                let w = buffer.baseAddress!
                let k = constants.baseAddress!
                var block = input
                for _ in 0..<blocks {
                    for i in 0..<16 {
                        w[i] = block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).bigEndian
                    }
                    var v = words
                    var bc = v.1 ^ v.2
                    sixteenRounds(&v, &bc, w, k, expanding: false)
                    sixteenRounds(&v, &bc, w, k + 16, expanding: true)
                    sixteenRounds(&v, &bc, w, k + 32, expanding: true)
                    sixteenRounds(&v, &bc, w, k + 48, expanding: true)
                    words = (
                        words.0 &+ v.0, words.1 &+ v.1, words.2 &+ v.2, words.3 &+ v.3,
                        words.4 &+ v.4, words.5 &+ v.5, words.6 &+ v.6, words.7 &+ v.7
                    )
                    block += 64
                }
            }
        }
    }

    /// Sixteen rounds with the constants at `k`, taking the schedule words from the 16-word window
    /// `w`, first advancing each one by sixteen positions when `expanding`.
    @inline(__always)
    private static func sixteenRounds(
        _ v: inout Words, _ bc: inout UInt32, _ w: UnsafeMutablePointer<UInt32>, _ k: UnsafePointer<UInt32>,
        expanding: Bool
    ) {
        @inline(__always)
        func word(_ i: Int) -> UInt32 {
            guard expanding else { return k[i] &+ w[i] }
            let next = sigma1(w[(i + 14) & 15]) &+ w[(i + 9) & 15] &+ sigma0(w[(i + 1) & 15]) &+ w[i]
            w[i] = next
            return k[i] &+ next
        }
        var (a, b, c, d, e, f, g, h) = v
        round(a, b, c, &d, e, f, g, &h, word(0), &bc)
        round(h, a, b, &c, d, e, f, &g, word(1), &bc)
        round(g, h, a, &b, c, d, e, &f, word(2), &bc)
        round(f, g, h, &a, b, c, d, &e, word(3), &bc)
        round(e, f, g, &h, a, b, c, &d, word(4), &bc)
        round(d, e, f, &g, h, a, b, &c, word(5), &bc)
        round(c, d, e, &f, g, h, a, &b, word(6), &bc)
        round(b, c, d, &e, f, g, h, &a, word(7), &bc)
        round(a, b, c, &d, e, f, g, &h, word(8), &bc)
        round(h, a, b, &c, d, e, f, &g, word(9), &bc)
        round(g, h, a, &b, c, d, e, &f, word(10), &bc)
        round(f, g, h, &a, b, c, d, &e, word(11), &bc)
        round(e, f, g, &h, a, b, c, &d, word(12), &bc)
        round(d, e, f, &g, h, a, b, &c, word(13), &bc)
        round(c, d, e, &f, g, h, a, &b, word(14), &bc)
        round(b, c, d, &e, f, g, h, &a, word(15), &bc)
        v = (a, b, c, d, e, f, g, h)
    }

    /// One round; the caller rotates the roles of the eight working variables. `bc` holds
    /// `b ^ c` on entry and `a ^ b` (the next round's `b ^ c`) on exit.
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32, _ bc: inout UInt32
    ) {
        let ab = a ^ b
        let t1 = h &+ rotr(rotr(rotr(e, 14) ^ e, 5) ^ e, 6) &+ (g ^ (e & (f ^ g))) &+ kw
        let t2 = rotr(rotr(rotr(a, 9) ^ a, 11) ^ a, 2) &+ (b ^ (ab & bc))
        bc = ab
        d &+= t1
        h = t1 &+ t2
    }

    /// σ0 of the message schedule.
    @inline(__always)
    private static func sigma0(_ x: UInt32) -> UInt32 { rotr(rotr(x, 11) ^ x, 7) ^ (x &>> 3) }

    /// σ1 of the message schedule.
    @inline(__always)
    private static func sigma1(_ x: UInt32) -> UInt32 { rotr(rotr(x, 2) ^ x, 17) ^ (x &>> 10) }

    /// Rotates right by `n` (1...31).
    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }
}

/// K0 to K63 (FIPS 180-4, 4.2.2).
private let roundConstants: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
]
