// SHA-256 block compression with the x86-64 SHA extensions (SHA-NI), used by ResumableSHA256
// when the CPU has them. ResumableSHA256 exists because swift-crypto cannot export or import a
// hash state, so a resumable upload's digest has to live in our own code; this file only makes
// its compression function as fast as BoringSSL's. The pure-Swift compression stays the
// fallback on other CPUs and architectures, where this file compiles to never-called stubs.
// Only the functions below are compiled for the SHA extensions (target attribute), so the rest
// of the package keeps building for baseline x86-64.

#include "CSHA256Blocks.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>

int csha256_has_hardware(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int sse41 = (ecx >> 19) & 1, ssse3 = (ecx >> 9) & 1;
    // Fails when leaf 7 is beyond the highest leaf the CPU reports.
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const int sha = (ebx >> 29) & 1;
    return sha && sse41 && ssse3;
}

#define CSHA256_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/// K0 to K63 (FIPS 180-4, 4.2.2), four to a vector, K[i] in lane i % 4.
static const uint32_t csha256_k[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/// Rounds i to i+3, with W[i..i+3] in `w`'s lanes 0 to 3. sha256rnds2 does two rounds with
/// W+K in lanes 0 and 1 of its third operand: it takes CDGH and ABEF and returns the new ABEF,
/// and the old ABEF is, two rounds on, exactly the new CDGH. So the first call's result goes
/// in the CDGH register and the second's in the ABEF register, which leaves both in place.
static inline CSHA256_TARGET void csha256_rounds4(__m128i *abef, __m128i *cdgh, __m128i w, int i) {
    const __m128i wk = _mm_add_epi32(w, _mm_load_si128((const __m128i *)(csha256_k + i)));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);                            // rounds i, i+1
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0e));  // i+2, i+3
}

/// W[t..t+3] from W[t-16..t-1] held in w0 (W[t-16..t-13]) to w3 (W[t-4..t-1]):
/// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]. sha256msg1 adds the σ0 terms,
/// the alignr supplies W[t-7..t-4], and sha256msg2 adds the σ1 terms (its last two lanes use
/// the first two results).
static inline CSHA256_TARGET __m128i csha256_schedule(__m128i w0, __m128i w1, __m128i w2, __m128i w3) {
    __m128i partial = _mm_sha256msg1_epu32(w0, w1);
    partial = _mm_add_epi32(partial, _mm_alignr_epi8(w3, w2, 4));
    return _mm_sha256msg2_epu32(partial, w3);
}

CSHA256_TARGET
void csha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    // Big-endian message words to native order, each 32-bit lane byte-reversed in place.
    const __m128i byteswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);

    // state as lanes (lane 0 first): abcd = A B C D, efgh = E F G H. The instructions want
    // ABEF = F E B A and CDGH = H G D C.
    const __m128i abcd = _mm_loadu_si128((const __m128i *)state);
    const __m128i efgh = _mm_loadu_si128((const __m128i *)(state + 4));
    const __m128i badc = _mm_shuffle_epi32(abcd, 0xb1);                // B A D C
    const __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b);                // H G F E
    __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);                     // F E B A
    __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xf0);                  // H G D C

    for (; blocks > 0; blocks--, data += 64) {
        const __m128i saved_abef = abef, saved_cdgh = cdgh;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)data), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteswap);

        csha256_rounds4(&abef, &cdgh, w0, 0);
        csha256_rounds4(&abef, &cdgh, w1, 4);
        csha256_rounds4(&abef, &cdgh, w2, 8);
        csha256_rounds4(&abef, &cdgh, w3, 12);
        // Rounds 16 to 63: the window w0..w3 slides by four words each time.
        for (int i = 16; i < 64; i += 16) {
            w0 = csha256_schedule(w0, w1, w2, w3);
            csha256_rounds4(&abef, &cdgh, w0, i);
            w1 = csha256_schedule(w1, w2, w3, w0);
            csha256_rounds4(&abef, &cdgh, w1, i + 4);
            w2 = csha256_schedule(w2, w3, w0, w1);
            csha256_rounds4(&abef, &cdgh, w2, i + 8);
            w3 = csha256_schedule(w3, w0, w1, w2);
            csha256_rounds4(&abef, &cdgh, w3, i + 12);
        }

        abef = _mm_add_epi32(abef, saved_abef);
        cdgh = _mm_add_epi32(cdgh, saved_cdgh);
    }

    // Back to A B C D and E F G H.
    const __m128i abef_rev = _mm_shuffle_epi32(abef, 0x1b);            // A B E F
    const __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xb1);                // G H C D
    _mm_storeu_si128((__m128i *)state, _mm_blend_epi16(abef_rev, ghcd, 0xf0));       // A B C D
    _mm_storeu_si128((__m128i *)(state + 4), _mm_alignr_epi8(ghcd, abef_rev, 8));    // E F G H
}

#else

int csha256_has_hardware(void) { return 0; }

void csha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state;
    (void)data;
    (void)blocks;
}

#endif
