// See CFileWriteback.h.
#define _GNU_SOURCE
#include "CFileWriteback.h"

#include <errno.h>
#include <fcntl.h>

#if defined(__linux__)

int cfilewriteback_start(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : errno;
}

int cfilewriteback_wait(int fd, int64_t offset, int64_t length) {
    const unsigned int flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    return sync_file_range(fd, offset, length, flags) == 0 ? 0 : errno;
}

#else

int cfilewriteback_start(int fd, int64_t offset, int64_t length) { return ENOSYS; }
int cfilewriteback_wait(int fd, int64_t offset, int64_t length) { return ENOSYS; }

#endif
