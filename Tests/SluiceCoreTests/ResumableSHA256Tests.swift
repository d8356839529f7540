import SluiceTestSupport
import Testing

import Crypto
#if os(Linux)
import Foundation
#endif
@testable import SluiceCore

/// The engines this machine can run: the portable one always, the SHA-NI one where the CPU has it.
private let engines: [ResumableSHA256.Engine] =
    ResumableSHA256.Engine.preferred == .hardware ? [.portable, .hardware] : [.portable]

@Suite("ResumableSHA256")
struct ResumableSHA256Tests {
    typealias Engine = ResumableSHA256.Engine

    // MARK: Engines

    @Test("the SHA-NI engine is preferred exactly when the CPU has the SHA extensions")
    func enginePreference() throws {
        #if arch(x86_64) && os(Linux)
        // The kernel's view of CPUID leaves 1 and 7, so a broken detection cannot silently
        // leave the hardware engine untested.
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let hasSHA = flags.contains("sha_ni") && flags.contains("sse4_1") && flags.contains("ssse3")
        #expect(Engine.preferred == (hasSHA ? .hardware : .portable), "flags: \(flagsLine)")
        #elseif !arch(x86_64)
        #expect(Engine.preferred == .portable)
        #endif
        #expect(engines.contains(.portable))
    }

    @Test("the engines agree block by block, and a state saved by one continues with the other")
    func enginesShareTheState() throws {
        var generator = SplitMix64(seed: 6)
        let input = Self.randomBytes(20_000, using: &generator)
        var hashers = engines.map { ResumableSHA256(engine: $0) }
        var offset = 0
        for size in Self.randomChunkSizes(total: input.count, maxChunk: 700, using: &generator) {
            for index in hashers.indices {
                input[offset..<(offset + size)].withUnsafeBytes { hashers[index].update(bufferPointer: $0) }
            }
            offset += size
            #expect(Set(hashers.map(\.serialized)).count == 1, "offset \(offset)")
            #expect(hashers.allSatisfy { $0 == hashers[0] })
            // Each engine takes over the state the next one saved.
            let states = hashers.map(\.serialized)
            for index in hashers.indices {
                hashers[index] = try #require(
                    ResumableSHA256(serialized: states[(index + 1) % states.count], engine: engines[index]))
            }
        }
        let expected = Self.reference(input)
        for (index, hasher) in hashers.enumerated() {
            #expect(hasher.finalize() == expected, "\(engines[index])")
        }
    }

    // MARK: Known answers

    @Test("NIST FIPS 180-4 / CAVP short and long messages", arguments: engines, [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func nistVectors(engine: Engine, vector: (String, String)) {
        let (message, expected) = vector
        let bytes = Array(message.utf8)
        #expect(Self.hex(Self.digest(bytes, engine: engine)) == expected)
        #expect(Self.hex(Self.digest(bytes, chunkSizes: [1], engine: engine)) == expected)
        for misalignment in [1, 3, 8, 13] {
            #expect(Self.hex(Self.digest(bytes, misalignment: misalignment, engine: engine)) == expected)
            #expect(Self.hex(Self.digest(bytes, chunkSizes: [5, 61], misalignment: misalignment, engine: engine)) == expected)
        }
    }

    @Test("NIST: one million 'a', in one update and in thousand-byte updates", arguments: engines)
    func millionA(engine: Engine) {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.hex(Self.digest(million, engine: engine)) == expected)
        #expect(Self.hex(Self.digest(million, misalignment: 5, engine: engine)) == expected)

        var hasher = ResumableSHA256(engine: engine)
        let thousand = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(bytes: thousand) }
        #expect(hasher.byteCount == 1_000_000)
        #expect(Self.hex(hasher.finalize()) == expected)
    }

    // MARK: Agreement with swift-crypto

    @Test(
        "equals swift-crypto around block boundaries and on larger inputs, aligned or not",
        arguments: engines, Array(0...200) + [1000, 65_537]
    )
    func matchesSwiftCrypto(engine: Engine, length: Int) {
        var generator = SplitMix64(seed: UInt64(length))
        let input = Self.randomBytes(length, using: &generator)
        let expected = Self.reference(input)
        let ours = Self.digest(input, engine: engine)
        #expect(ours.count == 32)
        #expect(ours == expected)
        for misalignment in [1, 4, 7, 15, 33] {
            #expect(Self.digest(input, misalignment: misalignment, engine: engine) == expected, "misaligned by \(misalignment)")
        }
    }

    @Test("the same digest however the input is split into updates", arguments: engines)
    func splitsDoNotMatter(engine: Engine) {
        var generator = SplitMix64(seed: 1)
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4097, 65_537] {
            let input = Self.randomBytes(length, using: &generator)
            let expected = Self.reference(input)
            for maxChunk in [1, 3, 63, 64, 65, 200, 5000] {
                let chunks = Self.randomChunkSizes(total: length, maxChunk: maxChunk, using: &generator)
                let misalignment = Int.random(in: 0..<64, using: &generator)
                #expect(
                    Self.digest(input, chunkSizes: chunks, misalignment: misalignment, engine: engine) == expected,
                    "length \(length), chunks up to \(maxChunk), misaligned by \(misalignment)")
            }
            // A sequence without contiguous storage takes the copying path.
            var hasher = ResumableSHA256(engine: engine)
            hasher.update(bytes: input.lazy.map { $0 })
            #expect(hasher.finalize() == expected, "length \(length), non-contiguous sequence")
        }
    }

    @Test("odd split points in unaligned buffers", arguments: engines)
    func oddSplitPoints(engine: Engine) {
        var generator = SplitMix64(seed: 5)
        let input = Self.randomBytes(64 * 9 + 37, using: &generator)
        let expected = Self.reference(input)
        let points = [0, 1, 7, 55, 56, 63, 64, 65, 127, 129, 191, 200, 319, 320, 321, 447, 500, 575, 576, 577, input.count]
        for misalignment in [0, 1, 3, 8, 15, 31] {
            for (index, first) in points.enumerated() {
                for second in points[index...] {
                    let chunks = [first, second - first, input.count - second]
                    #expect(
                        Self.digest(input, chunkSizes: chunks, misalignment: misalignment, engine: engine) == expected,
                        "splits at \(first) and \(second), misaligned by \(misalignment)")
                }
            }
        }
    }

    @Test("byteCount counts every byte, and empty updates change nothing")
    func byteCount() {
        var hasher = ResumableSHA256()
        #expect(hasher.byteCount == 0)
        hasher.update(bufferPointer: UnsafeRawBufferPointer(start: nil, count: 0))
        hasher.update(bytes: [UInt8]())
        #expect(hasher == ResumableSHA256())
        hasher.update(bytes: [UInt8](repeating: 7, count: 100))
        hasher.update(bytes: [UInt8]())
        #expect(hasher.byteCount == 100)
        hasher.update(bytes: [UInt8](repeating: 7, count: 5000))
        #expect(hasher.byteCount == 5100)
    }

    // MARK: Saving and restoring

    @Test("serialize at many points, restore, continue: the same digest as one pass", arguments: engines)
    func serializeRestoreContinue(engine: Engine) throws {
        var generator = SplitMix64(seed: 2)
        for length in [0, 1, 63, 64, 65, 1000, 65_537] {
            let input = Self.randomBytes(length, using: &generator)
            let expected = Self.reference(input)
            #expect(Self.digest(input, engine: engine) == expected)
            for _ in 0..<3 {
                var hasher = ResumableSHA256(engine: engine)
                var offset = 0
                for size in Self.randomChunkSizes(total: length, maxChunk: 300, using: &generator) {
                    input[offset..<(offset + size)].withUnsafeBytes { hasher.update(bufferPointer: $0) }
                    offset += size
                    let state = hasher.serialized
                    #expect(state.count == 41 + offset % 64)
                    let restored = try #require(
                        ResumableSHA256(serialized: state, engine: engine), "length \(length), offset \(offset)")
                    #expect(restored == hasher)
                    #expect(restored.byteCount == Int64(offset))
                    #expect(restored.serialized == state)
                    hasher = restored
                }
                #expect(hasher.finalize() == expected, "length \(length)")
            }
        }
    }

    @Test("restores from any collection of bytes, including a slice")
    func restoresFromSlice() throws {
        var hasher = ResumableSHA256()
        hasher.update(bytes: Array("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789".utf8))
        let framed = [0xEE] + hasher.serialized + [0xEE]
        let restored = try #require(ResumableSHA256(serialized: framed.dropFirst().dropLast()))
        #expect(restored == hasher)
        #expect(restored.finalize() == hasher.finalize())
    }

    @Test("the serialized form is stable: version 1, words, big-endian count, pending bytes", arguments: engines)
    func serializedFormat(engine: Engine) {
        let initialWords: [UInt8] = [
            0x6a, 0x09, 0xe6, 0x67, 0xbb, 0x67, 0xae, 0x85, 0x3c, 0x6e, 0xf3, 0x72, 0xa5, 0x4f, 0xf5, 0x3a,
            0x51, 0x0e, 0x52, 0x7f, 0x9b, 0x05, 0x68, 0x8c, 0x1f, 0x83, 0xd9, 0xab, 0x5b, 0xe0, 0xcd, 0x19,
        ]
        #expect(ResumableSHA256().serialized == [1] + initialWords + [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(ResumableSHA256(engine: engine).serialized == [1] + initialWords + [0, 0, 0, 0, 0, 0, 0, 0])

        var hasher = ResumableSHA256(engine: engine)
        hasher.update(bytes: Array("abc".utf8))
        #expect(hasher.serialized == [1] + initialWords + [0, 0, 0, 0, 0, 0, 0, 3] + Array("abc".utf8))

        hasher.update(bytes: [UInt8](repeating: 0, count: 61))
        let afterOneBlock = hasher.serialized
        #expect(afterOneBlock.count == 41)
        #expect(afterOneBlock.suffix(8) == [0, 0, 0, 0, 0, 0, 0, 64])
        #expect(Array(afterOneBlock[1..<33]) != initialWords)
    }

    @Test("equal states compare equal however they were reached; different input does not")
    func equality() {
        var generator = SplitMix64(seed: 3)
        let input = Self.randomBytes(70, using: &generator)
        var whole = ResumableSHA256()
        whole.update(bytes: input)
        var split = ResumableSHA256()
        split.update(bytes: input[..<60])  // leaves stale bytes behind the 6 pending ones
        split.update(bytes: input[60...])
        #expect(whole == split)
        #expect(whole.serialized == split.serialized)

        var other = input
        other[69] ^= 1
        var different = ResumableSHA256()
        different.update(bytes: other)
        #expect(different != whole)
        var shorter = ResumableSHA256()
        shorter.update(bytes: input[..<69])
        #expect(shorter != whole)
    }

    // MARK: finalize

    @Test("finalize() gives the digest so far and does not disturb further updates", arguments: engines)
    func finalizeDoesNotDisturb(engine: Engine) {
        var generator = SplitMix64(seed: 4)
        let input = Self.randomBytes(2000, using: &generator)
        var hasher = ResumableSHA256(engine: engine)
        var offset = 0
        for size in Self.randomChunkSizes(total: input.count, maxChunk: 130, using: &generator) {
            input[offset..<(offset + size)].withUnsafeBytes { hasher.update(bufferPointer: $0) }
            offset += size
            let partial = hasher.finalize()
            #expect(partial == Self.reference(Array(input[..<offset])), "offset \(offset)")
            #expect(hasher.finalize() == partial)
        }
        #expect(hasher.finalize() == Self.reference(input))
    }

    // MARK: Rejected states

    @Test("init?(serialized:) rejects a wrong version")
    func rejectsWrongVersion() {
        var hasher = ResumableSHA256()
        hasher.update(bytes: [UInt8](repeating: 1, count: 100))
        let state = hasher.serialized
        for version: UInt8 in [0, 2, 0xFF] {
            var changed = state
            changed[0] = version
            #expect(ResumableSHA256(serialized: changed) == nil, "version \(version)")
        }
    }

    @Test("init?(serialized:) rejects truncated or extended data")
    func rejectsWrongLength() {
        var hasher = ResumableSHA256()
        hasher.update(bytes: [UInt8](repeating: 1, count: 100))
        let state = hasher.serialized
        #expect(state.count == 41 + 36)
        for length in 0..<state.count {
            #expect(ResumableSHA256(serialized: state.prefix(length)) == nil, "truncated to \(length)")
        }
        #expect(ResumableSHA256(serialized: state + [0]) == nil)
        #expect(ResumableSHA256(serialized: ResumableSHA256().serialized + [0]) == nil)
    }

    @Test("init?(serialized:) rejects a pending length inconsistent with the byte count")
    func rejectsInconsistentPendingLength() {
        var hasher = ResumableSHA256()
        hasher.update(bytes: [UInt8](repeating: 1, count: 100))
        let state = hasher.serialized
        // The byte count's last byte: 100 claims 36 pending bytes, 101 claims 37, 128 claims none.
        for count: UInt8 in [101, 99, 128, 64] {
            var changed = state
            changed[40] = count
            #expect(ResumableSHA256(serialized: changed) == nil, "count \(count)")
        }
        var sameRemainder = state
        sameRemainder[40] = 100 + 64
        #expect(ResumableSHA256(serialized: sameRemainder)?.byteCount == 164)

        var negative = state
        negative[33] = 0x80
        #expect(ResumableSHA256(serialized: negative) == nil)
    }

    // MARK: Helpers

    static func randomBytes(_ count: Int, using generator: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Sizes in `0...maxChunk` (empty updates included) that add up to `total`.
    static func randomChunkSizes(total: Int, maxChunk: Int, using generator: inout SplitMix64) -> [Int] {
        var sizes: [Int] = []
        var remaining = total
        while remaining > 0 {
            let size = Int.random(in: 0...min(maxChunk, remaining), using: &generator)
            sizes.append(size)
            remaining -= size
        }
        return sizes
    }

    /// Our digest of `input` with `engine`, fed in updates of `chunkSizes` (cycled), or in one
    /// update. With a `misalignment`, from a copy that starts that many bytes past a 64-byte
    /// boundary; else from the array itself.
    static func digest(
        _ input: [UInt8], chunkSizes: [Int] = [], misalignment: Int? = nil, engine: Engine = .preferred
    ) -> [UInt8] {
        var hasher = ResumableSHA256(engine: engine)
        if let misalignment {
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: misalignment + input.count, alignment: 64)
            defer { storage.deallocate() }
            let copy = UnsafeMutableRawBufferPointer(rebasing: storage[misalignment...])
            copy.copyBytes(from: input)
            forEachChunk(of: input.count, chunkSizes) { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: copy[$0])) }
        } else if chunkSizes.isEmpty {
            hasher.update(bytes: input)
        } else {
            forEachChunk(of: input.count, chunkSizes) { range in input[range].withUnsafeBytes { hasher.update(bufferPointer: $0) } }
        }
        #expect(hasher.byteCount == Int64(input.count))
        return hasher.finalize()
    }

    /// Calls `body` with consecutive ranges of `0..<count`, sized by `chunkSizes` (cycled, the
    /// last one cut short), or with the whole range when `chunkSizes` is empty.
    static func forEachChunk(of count: Int, _ chunkSizes: [Int], _ body: (Range<Int>) -> Void) {
        guard !chunkSizes.isEmpty else { return body(0..<count) }
        var offset = 0
        var index = 0
        while offset < count {
            let size = min(chunkSizes[index % chunkSizes.count], count - offset)
            body(offset..<(offset + size))
            offset += size
            index += 1
        }
    }

    /// swift-crypto's digest of `input`.
    static func reference(_ input: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        input.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
