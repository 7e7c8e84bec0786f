// The floor of `inferlab probe`'s cost: a plain C sampler doing the same reads at the same
// rates, with no parsing beyond the fast fields and one short JSON line per sample. `make
// bench-probe` runs it on the same engine as the peer of the Swift probe, so the figure it prints
// is a ratio against what the kernel side of the job costs on this machine, in this run.
//
//   probe-floor PID MODEL_FILE SECONDS OUT [INTERVAL_MS=10] [SLOW_MS=100] [RESIDENCY_MS=1000]
//
// Every sample: /proc/PID/stat, the cgroup's CPU counters (v1 cpuacct.usage and
// cpu.stat, or v2 cpu.stat). Every SLOW_MS: status, io, each thread's stat and schedstat (the
// task directory listed again), /proc/vmstat, /proc/stat, the three PSI files, /proc/diskstats and
// the cgroup's other control files. Every RESIDENCY_MS: cachestat(2) over MODEL_FILE (mincore over a
// mapping of it on a kernel without cachestat), as the probe.
// Prints {"floor_cpu_s":..,"wall_s":..,"cpu_fraction_of_one_core":..,"samples":..} on stdout.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buffer[1 << 16];

// One pread for a one-record seq_file (per-process and cgroup files, /proc/stat, PSI): it comes
// whole, and reading on to end-of-file would regenerate it for nothing. Files of many records
// (/proc/vmstat, /proc/diskstats) are read to end-of-file. As the probe's ProcFileCache.
static long read_file(int fd, int many_records) {
    long total = 0, n;
    while ((n = pread(fd, buffer + total, sizeof(buffer) - 1 - total, total)) > 0) {
        total += n;
        if (!many_records) break;
    }
    buffer[total > 0 ? total : 0] = 0;
    return total;
}

static long read_all(int fd) { return read_file(fd, 0); }

static int open_ro(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// The cgroup control files the Swift probe reads (CgroupStats.fileNames), fast ones first.
static const char *v1_fast[] = {"cpuacct.usage", "cpu.stat"};
static const char *v1_slow[] = {"cpuacct.usage_user", "cpuacct.usage_sys", "cpu.cfs_quota_us", "cpu.cfs_period_us",
    "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt",
    "memory.oom_control", "memory.stat"};
static const char *v2_fast[] = {"cpu.stat"};
static const char *v2_slow[] = {"cpu.max", "memory.current", "memory.max", "memory.high", "memory.peak",
    "memory.events", "memory.stat", "cpu.pressure", "memory.pressure", "io.pressure", "io.stat"};

static char dirs[8][512];
static int dir_count;

static int open_in_dirs(const char *name) {
    char path[1024];
    for (int i = 0; i < dir_count; i++) {
        snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
        int fd = open_ro(path);
        if (fd >= 0) return fd;
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: probe-floor PID MODEL_FILE SECONDS OUT [INTERVAL_MS] [SLOW_MS] [RESIDENCY_MS]\n");
        return 2;
    }
    int pid = atoi(argv[1]);
    double seconds = atof(argv[3]);
    FILE *out = fopen(argv[4], "w");
    long long interval = (long long)((argc > 5 ? atof(argv[5]) : 10) * 1e6);
    long long slow_interval = (long long)((argc > 6 ? atof(argv[6]) : 100) * 1e6);
    long long residency_interval = (long long)((argc > 7 ? atof(argv[7]) : 1000) * 1e6);
    if (!out) return 2;
    char path[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int stat_fd = open_ro(path);
    if (stat_fd < 0) {
        fprintf(stderr, "probe-floor: no process %d\n", pid);
        return 2;
    }
    // The process's cgroup directories, as the probe resolves them from /proc/PID/cgroup.
    int v2 = 1;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
    FILE *cgroup = fopen(path, "r");
    char line[1024];
    while (cgroup && fgets(line, sizeof(line), cgroup)) {
        line[strcspn(line, "\n")] = 0;
        char *controllers = strchr(line, ':'), *relative = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!relative) continue;
        *relative++ = 0;
        controllers++;
        if (*controllers == 0) continue;
        if (strstr(controllers, "cpu") || strstr(controllers, "memory")) {
            v2 = 0;
            if (dir_count < 8) snprintf(dirs[dir_count++], 512, "/sys/fs/cgroup/%.30s%.450s", controllers, relative);
        }
    }
    if (cgroup) fclose(cgroup);
    if (v2) {
        snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
        cgroup = fopen(path, "r");
        while (cgroup && fgets(line, sizeof(line), cgroup)) {
            line[strcspn(line, "\n")] = 0;
            if (strncmp(line, "0::", 3) == 0) snprintf(dirs[dir_count++], 512, "/sys/fs/cgroup%.480s", line + 3);
        }
        if (cgroup) fclose(cgroup);
    }
    int fast_fds[4], fast_count = 0, slow_fds[64], slow_count = 0;
    const char **fast = v2 ? v2_fast : v1_fast, **slow = v2 ? v2_slow : v1_slow;
    int fast_names = v2 ? 1 : 2, slow_names = v2 ? 11 : 10;
    for (int i = 0; i < fast_names; i++) {
        int fd = open_in_dirs(fast[i]);
        if (fd >= 0) fast_fds[fast_count++] = fd;
    }
    for (int i = 0; i < slow_names; i++) {
        int fd = open_in_dirs(slow[i]);
        if (fd >= 0) slow_fds[slow_count++] = fd;
    }
    const char *system_files[] = {"/proc/vmstat", "/proc/stat", "/proc/pressure/cpu", "/proc/pressure/memory",
        "/proc/pressure/io", "/proc/diskstats"};
    int many_records[64] = {0};
    for (int i = 0; i < 6; i++) {
        int fd = open_ro(system_files[i]);
        if (fd >= 0) {
            many_records[slow_count] = i == 0 || i == 5;  // vmstat, diskstats
            slow_fds[slow_count++] = fd;
        }
    }
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    slow_fds[slow_count++] = open_ro(path);
    snprintf(path, sizeof(path), "/proc/%d/io", pid);
    slow_fds[slow_count++] = open_ro(path);
    int model_fd = open_ro(argv[2]);
    struct stat info;
    void *mapping = NULL;
    unsigned char *vector = NULL;
    if (model_fd >= 0 && fstat(model_fd, &info) == 0 && info.st_size > 0) {
        mapping = mmap(NULL, info.st_size, PROT_READ, MAP_SHARED, model_fd, 0);
        vector = malloc(info.st_size / 4096 + 1);
    }
    int thread_fds[512];
    int thread_count = 0;
    long listed_threads = -1;
    long long start = now_ns(), last_slow = LLONG_MIN / 2, last_residency = LLONG_MIN / 2;
    long samples = 0;
    int use_mincore = 0;
    char json[512];
    for (long tick = 0;; tick++) {
        long long t = now_ns();
        if (read_all(stat_fd) <= 0) break;  // the process is gone
        char *after = strrchr(buffer, ')');
        unsigned long long minflt = 0, majflt = 0, utime = 0, stime = 0;
        long threads = 0;
        if (after)
            sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu %*u %llu %llu %*d %*d %*d %*d %ld", &minflt,
                &majflt, &utime, &stime, &threads);
        unsigned long long cg = 0;
        for (int i = 0; i < fast_count; i++) {
            read_all(fast_fds[i]);
            cg += strtoull(buffer, NULL, 10);
        }
        if (t - last_slow + interval / 2 >= slow_interval) {
            last_slow = t;
            for (int i = 0; i < slow_count; i++)
                if (slow_fds[i] >= 0) read_file(slow_fds[i], many_records[i]);
            // The task directory is listed again only when the thread count changed (as the probe).
            DIR *task = NULL;
            if (threads != listed_threads) {
                for (int i = 0; i < thread_count; i++) close(thread_fds[i]);
                thread_count = 0;
                listed_threads = threads;
                snprintf(path, sizeof(path), "/proc/%d/task", pid);
                task = opendir(path);
            }
            struct dirent *entry;
            while (task && (entry = readdir(task)) && thread_count < 510) {
                if (entry->d_name[0] == '.') continue;
                char file[1024];
                snprintf(file, sizeof(file), "/proc/%d/task/%s/stat", pid, entry->d_name);
                thread_fds[thread_count++] = open_ro(file);
                snprintf(file, sizeof(file), "/proc/%d/task/%s/schedstat", pid, entry->d_name);
                thread_fds[thread_count++] = open_ro(file);
            }
            if (task) closedir(task);
            for (int i = 0; i < thread_count; i++)
                if (thread_fds[i] >= 0) read_all(thread_fds[i]);
        }
        if (mapping && t - last_residency + interval / 2 >= residency_interval) {
            last_residency = t;
            struct { unsigned long long off, len; } range = {0, 0};
            unsigned long long counts[5];
            if (!use_mincore && syscall(451, model_fd, &range, counts, 0) != 0) use_mincore = 1;
            if (use_mincore) mincore(mapping, info.st_size, vector);
        }
        int n = snprintf(json, sizeof(json),
            "{\"t_ns\":%lld,\"minflt\":%llu,\"majflt\":%llu,\"utime_ticks\":%llu,\"stime_ticks\":%llu,"
            "\"num_threads\":%ld,\"cg_usage\":%llu}\n",
            t, minflt, majflt, utime, stime, threads, cg);
        fwrite(json, 1, n, out);
        if (tick % 5 == 4) fflush(out);  // one write per 50 ms, as the probe
        samples++;
        long long deadline = start + (tick + 1) * interval;
        if (deadline - start > (long long)(seconds * 1e9)) break;
        struct timespec until = {deadline / 1000000000LL, deadline % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) != 0) {}
    }
    fclose(out);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec
        + usage.ru_stime.tv_usec / 1e6;
    double wall = (now_ns() - start) / 1e9;
    printf("{\"floor_cpu_s\":%.3f,\"wall_s\":%.3f,\"cpu_fraction_of_one_core\":%.5f,\"samples\":%ld}\n", cpu, wall,
        cpu / wall, samples);
    return 0;
}
