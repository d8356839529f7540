// See CLinux.h.
#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>

#if defined(__linux__)

int clinux_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : errno;
}

int clinux_wait_writeback(int fd, int64_t offset, int64_t length) {
    const unsigned int flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    return sync_file_range(fd, offset, length, flags) == 0 ? 0 : errno;
}

#else

int clinux_start_writeback(int fd, int64_t offset, int64_t length) { return ENOSYS; }
int clinux_wait_writeback(int fd, int64_t offset, int64_t length) { return ENOSYS; }

#endif

#if defined(__linux__)
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#if defined(__linux__) && defined(SYS_openat2) && defined(RESOLVE_CACHED) && defined(RWF_NOWAIT)

int clinux_open_cached(const char *path) {
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_CACHED};
    const long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    return fd < 0 ? -errno : (int)fd;
}

int64_t clinux_read_cached(int fd, void *buffer, int64_t length, int64_t offset) {
    struct iovec piece = {.iov_base = buffer, .iov_len = (size_t)length};
    const ssize_t read = preadv2(fd, &piece, 1, offset, RWF_NOWAIT);
    return read < 0 ? -errno : read;
}

#else

int clinux_open_cached(const char *path) { return -ENOSYS; }
int64_t clinux_read_cached(int fd, void *buffer, int64_t length, int64_t offset) { return -ENOSYS; }

#endif

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))

/// cachestat's number on both architectures (the C library's headers here predate it).
#define CLINUX_SYS_CACHESTAT 451

int clinux_range_cached(int fd, int64_t offset, int64_t length) {
    struct { uint64_t offset, length; } range = {(uint64_t)offset, (uint64_t)length};
    struct { uint64_t cached, dirty, writeback, evicted, recently_evicted; } counts;
    if (syscall(CLINUX_SYS_CACHESTAT, fd, &range, &counts, 0) != 0) return -errno;
    const int64_t page = sysconf(_SC_PAGESIZE);
    const int64_t pages = (offset + length + page - 1) / page - offset / page;
    return (int64_t)counts.cached >= pages ? 1 : 0;
}

#else

int clinux_range_cached(int fd, int64_t offset, int64_t length) { return -ENOSYS; }

#endif

#if defined(__linux__)

int clinux_load_into_cache(int fd, int64_t offset, int64_t length) {
    char scratch[64 * 1024];
    while (length > 0) {
        const size_t wanted = length < (int64_t)sizeof scratch ? (size_t)length : sizeof scratch;
        const ssize_t read = pread(fd, scratch, wanted, offset);
        if (read < 0 && errno == EINTR) continue;
        if (read < 0) return -errno;
        if (read == 0) return 0;
        offset += read;
        length -= read;
    }
    return 0;
}

#else

int clinux_load_into_cache(int fd, int64_t offset, int64_t length) { return -ENOSYS; }

#endif

#if defined(__GLIBC__)
#include <malloc.h>
void clinux_trim_memory(void) { malloc_trim(0); }
void clinux_use_one_malloc_arena(void) { mallopt(M_ARENA_MAX, 1); }
#else
void clinux_trim_memory(void) {}
void clinux_use_one_malloc_arena(void) {}
#endif

#if defined(__linux__)
#include <stdio.h>
int64_t clinux_resident_bytes(void) {
    FILE *statm = fopen("/proc/self/statm", "re");
    if (!statm) return -1;
    long long size = 0, resident = 0;
    const int read = fscanf(statm, "%lld %lld", &size, &resident);
    fclose(statm);
    return read == 2 ? (int64_t)resident * sysconf(_SC_PAGESIZE) : -1;
}
#else
int64_t clinux_resident_bytes(void) { return -1; }
#endif
