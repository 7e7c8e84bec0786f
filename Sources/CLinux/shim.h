// Linux system calls that glibc 2.36 has no wrapper for (Swift cannot call the variadic syscall(2)).
#pragma once
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_cachestat
#define __NR_cachestat 451  // the same number on every architecture (Linux 6.5+)
#endif

/// The page-cache state of a byte range of a file (struct cachestat of linux/mman.h).
struct inferlab_cachestat {
    uint64_t nr_cache;
    uint64_t nr_dirty;
    uint64_t nr_writeback;
    uint64_t nr_evicted;
    uint64_t nr_recently_evicted;
};

/// cachestat(2) over [offset, offset + length) (length 0: to the end of the file). Returns 0, or
/// -1 with errno (ENOSYS before Linux 6.5).
static inline int inferlab_cachestat(int fd, uint64_t offset, uint64_t length, struct inferlab_cachestat *out) {
    struct { uint64_t off, len; } range = {offset, length};
    return (int)syscall(__NR_cachestat, fd, &range, out, 0);
}
