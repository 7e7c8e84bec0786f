// Linux system calls that glibc 2.36 has no wrapper for (Swift cannot call the variadic syscall(2)),
// and the one fork + exec that Swift cannot write (posix_spawn cannot set a parent-death signal).
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
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

/// pipe2(fds, O_CLOEXEC): both ends close on exec from birth, so a child forked by another thread
/// meanwhile cannot inherit them. Returns 0, or -1 with errno.
static inline int inferlab_pipe_cloexec(int fds[2]) {
    return (int)syscall(SYS_pipe2, fds, O_CLOEXEC);
}

/// fork + execve of a child that dies with this process: in the child, PR_SET_PDEATHSIG
/// `death_signal` (0: none) and a check that the parent did not die before it was set, a new
/// process group when `new_process_group`, default dispositions for the signals in `defaults`, an
/// empty signal mask, and `keep_fd` as fd 3 (-1: none). Returns the pid, or -errno when fork
/// failed; a child that cannot exec exits 127 (126 when its setup failed).
///
/// The parent-death signal fires when the *thread* that forked exits, not the process: call this
/// from a thread that lives as long as the process.
/// Between fork and exec the child runs only async-signal-safe calls (the parent has threads).
static inline pid_t inferlab_spawn(const char *path, char *const argv[], char *const envp[], int keep_fd,
                                   int new_process_group, int death_signal, const sigset_t *defaults) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) return pid;
    if (death_signal != 0) {
        if (prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0) != 0) _exit(126);
        if (getppid() != parent) _exit(126);  // the parent died before the signal was armed
    }
    if (new_process_group && setpgid(0, 0) != 0) _exit(126);
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    for (int number = 1; number < NSIG; number++) {
        if (sigismember(defaults, number) == 1) sigaction(number, &fallback, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    if (keep_fd == 3) {
        if (fcntl(3, F_SETFD, 0) != 0) _exit(126);  // dup2 onto itself would keep FD_CLOEXEC
    } else if (keep_fd >= 0 && dup2(keep_fd, 3) != 3) {
        _exit(126);
    }
    execve(path, argv, envp);
    _exit(127);
}

/// prlimit(2) of RLIMIT_MEMLOCK (glibc declares prlimit only under _GNU_SOURCE): sets both the
/// soft and the hard limit of `pid` to `value` (UINT64_MAX: unlimited). Returns 0, or -1 with errno.
static inline int inferlab_set_memlock(pid_t pid, uint64_t value) {
    struct { uint64_t cur, max; } limit = {value, value};
    return (int)syscall(SYS_prlimit64, pid, 8 /* RLIMIT_MEMLOCK */, &limit, (void *)0);
}
