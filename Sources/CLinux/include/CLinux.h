// Linux calls that Swift's Glibc module does not import (they need _GNU_SOURCE or <malloc.h>):
// sync_file_range, with which FileAppender writes a large upload to disk while it arrives,
// malloc_trim, with which IdleTrimmer gives freed memory back after a burst (watching the
// resident size in /proc/self/statm), mallopt, with which the server keeps one malloc arena
// for all its threads, and openat2 and
// preadv2 with the flags that never wait for the disk, with which LocalBlobStore reads what
// the page cache holds without a trip to a file thread, and cachestat, with which it tells
// whether the kernel can send a range of a file to a socket without waiting for the disk.
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

/// Makes threads started from now on share the allocator's arenas instead of each taking one of
/// its own (glibc's mallopt(M_ARENA_MAX, 1)); a no-op elsewhere.
void clinux_use_one_malloc_arena(void);

/// The process's resident memory in bytes (/proc/self/statm), or -1 where it cannot be read.
int64_t clinux_resident_bytes(void);

/// Opens the file at `path` for reading only if its path resolves from the kernel's caches
/// alone (openat2 with RESOLVE_CACHED), so the call never waits for the disk. A descriptor, or
/// a negative errno: -EAGAIN when the disk would be needed, -ENOSYS or -EINVAL where the kernel
/// lacks the call or the flag.
int clinux_open_cached(const char *path);

/// Reads up to `length` bytes at `offset` of `fd` into `buffer` only from the page cache
/// (preadv2 with RWF_NOWAIT): the bytes read (fewer where the cache holds fewer, 0 at the end of
/// the file), or a negative errno: -EAGAIN when none of them is in memory (the kernel then
/// starts reading ahead, so the blocking read that follows finds them sooner).
int64_t clinux_read_cached(int fd, void *buffer, int64_t length, int64_t offset);

/// Whether every page of bytes [offset, offset + length) of `fd` is in the page cache
/// (cachestat, Linux 6.5): 1 if so, 0 if not, or a negative errno: -ENOSYS where the kernel
/// lacks the call.
int clinux_range_cached(int fd, int64_t offset, int64_t length);

/// Reads bytes [offset, offset + length) of `fd` into the page cache, blocking, through a small
/// buffer on the stack that is thrown away: 0 (also when the file ends sooner), or a negative
/// errno.
int clinux_load_into_cache(int fd, int64_t offset, int64_t length);

#ifdef __cplusplus
}
#endif

#endif
