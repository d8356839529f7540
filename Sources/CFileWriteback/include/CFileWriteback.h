// Linux's sync_file_range, which Swift's Glibc module does not import (it needs _GNU_SOURCE):
// lets FileAppender start writing a large upload to disk while it is still arriving.
#ifndef CFILEWRITEBACK_H
#define CFILEWRITEBACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Starts writing back the dirty pages of bytes [offset, offset + length) of `fd` and returns
/// without waiting for them. 0, or an errno; ENOSYS where the call does not exist.
int cfilewriteback_start(int fd, int64_t offset, int64_t length);

/// Waits until the pages of bytes [offset, offset + length) of `fd` are on disk, writing any
/// still dirty first; no metadata (a later fsync makes the file durable). 0, or an errno.
int cfilewriteback_wait(int fd, int64_t offset, int64_t length);

#ifdef __cplusplus
}
#endif

#endif
