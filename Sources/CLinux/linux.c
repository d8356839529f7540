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

#if defined(__GLIBC__)
#include <malloc.h>
void clinux_trim_memory(void) { malloc_trim(0); }
#else
void clinux_trim_memory(void) {}
#endif
