// Linux calls that Swift's Glibc module does not import (they need _GNU_SOURCE or <malloc.h>):
// sync_file_range, with which FileAppender writes a large upload to disk while it arrives, and
// malloc_trim, with which MemoryTrimmer gives freed memory back after a burst.
#ifndef CLINUX_H
#define CLINUX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Starts writing back the dirty pages of bytes [offset, offset + length) of `fd` and returns
/// without waiting for them. 0, or an errno; ENOSYS where the call does not exist.
int clinux_start_writeback(int fd, int64_t offset, int64_t length);

/// Waits until the pages of bytes [offset, offset + length) of `fd` are on disk, writing any
/// still dirty first; no metadata (a later fsync makes the file durable). 0, or an errno.
int clinux_wait_writeback(int fd, int64_t offset, int64_t length);

/// Returns the allocator's free memory to the system (glibc's malloc_trim(0)); a no-op
/// elsewhere.
void clinux_trim_memory(void);

#ifdef __cplusplus
}
#endif

#endif
