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

#if defined(__GLIBC__)
#include <malloc.h>
void clinux_trim_memory(void) { malloc_trim(0); }
#else
void clinux_trim_memory(void) {}
#endif
