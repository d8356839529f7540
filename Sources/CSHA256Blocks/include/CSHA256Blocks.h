// SHA-256 block compression with the x86-64 SHA extensions (SHA-NI), for ResumableSHA256.
#ifndef CSHA256BLOCKS_H
#define CSHA256BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this is an x86-64 CPU with the SHA extensions, SSE4.1 and SSSE3; 0 otherwise, and
/// always 0 on other architectures.
int csha256_has_hardware(void);

/// Runs the SHA-256 compression function over `blocks` consecutive 64-byte blocks at `data`
/// (any alignment), updating `state` (H0 to H7, native integers). Call only when
/// `csha256_has_hardware()` returns 1.
void csha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#ifdef __cplusplus
}
#endif

#endif
