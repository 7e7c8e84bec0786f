public import InferLabCore

/// One flat, `Codable` probe reading: process, threads, cgroup, system and file, with rates
/// derived from the previous reading. Keys are stable snake_case (the JSONL and database
/// columns); a value the machine or the configuration does not provide is absent (`nil`).
/// Cumulative counters are as read; `*_per_s` and `cpu_cores` fields are rates over `interval_ms`,
/// except those of the slow readings (process status and io, system, cgroup memory and pressure,
/// file residency), which are taken at most every `slow_interval_ms` / `residency_interval_ms`
/// of the `ProbeConfiguration`: samples in between repeat the last reading and its rates.
public struct ProbeSample: Sendable, Codable, Equatable {
    // MARK: Time and identity
    /// Monotonic time of the reading in ns (`MonotonicInstant`), the clock tokens use too.
    public var time: MonotonicInstant
    /// Milliseconds since the sampler started.
    public var elapsedMs: Double
    /// Milliseconds since the previous sample (the denominator of every rate).
    public var intervalMs: Double? = nil
    /// "sample", or "exit" for the last sample of a process that ended.
    public var event: String
    /// The process sampled.
    public var pid: Int32? = nil
    /// The process state letter (R, S, D, Z, ...).
    public var state: String? = nil
    /// Exit code when the process exited normally (known for a zombie or own child).
    public var exitStatus: Int32? = nil
    /// The signal that killed the process, when one did.
    public var exitSignal: Int32? = nil

    // MARK: Process counters
    /// Minor faults, cumulative.
    public var minflt: UInt64? = nil
    /// Major faults (pages read from disk), cumulative.
    public var majflt: UInt64? = nil
    /// User CPU time, cumulative.
    public var utimeMs: Double? = nil
    /// System CPU time, cumulative.
    public var stimeMs: Double? = nil
    /// Threads.
    public var numThreads: Int? = nil
    /// The CPU last run on.
    public var processor: Int? = nil
    /// VmRSS.
    public var rssBytes: UInt64? = nil
    /// VmHWM, the peak RSS.
    public var hwmBytes: UInt64? = nil
    /// RssAnon.
    public var rssAnonBytes: UInt64? = nil
    /// RssFile (an mmapped model shows here).
    public var rssFileBytes: UInt64? = nil
    /// VmLck.
    public var lockedBytes: UInt64? = nil
    /// VmSwap.
    public var swapBytes: UInt64? = nil
    /// Voluntary context switches of the main thread, cumulative (`/proc/<pid>/status` counts
    /// the thread-group leader only; `ctxsw_per_s` covers every thread).
    public var voluntaryCtxtSwitches: UInt64? = nil
    /// Involuntary context switches (preemptions) of the main thread, cumulative.
    public var nonvoluntaryCtxtSwitches: UInt64? = nil
    /// Cpus_allowed_list.
    public var cpusAllowedList: String? = nil
    /// schedstat: time on CPU, summed over the threads (`task/<tid>/schedstat`; the process's own
    /// schedstat is the main thread's alone), at the slow readings; the main thread's when
    /// threads are not sampled.
    public var runNs: UInt64? = nil
    /// schedstat: time runnable but waiting for a CPU, summed over the threads like `run_ns`.
    public var runqueueWaitNs: UInt64? = nil
    /// schedstat: timeslices (times scheduled in), summed over the threads like `run_ns`.
    public var timeslices: UInt64? = nil
    /// /proc/pid/io read_bytes (from the block layer).
    public var readBytes: UInt64? = nil
    /// /proc/pid/io write_bytes.
    public var writeBytes: UInt64? = nil
    /// /proc/pid/io rchar (including page-cache hits).
    public var rchar: UInt64? = nil

    // MARK: Process rates
    /// (utime + stime) per second: CPU cores used. In a sampler's series it is over the last
    /// 100 ms at least, not `interval_ms`: utime and stime count 10 ms clock ticks, so over one
    /// 10 ms interval the rate could only read whole cores.
    public var cpuCores: Double? = nil
    /// Major faults per second.
    public var majfltPerS: Double? = nil
    /// Minor faults per second.
    public var minfltPerS: Double? = nil
    /// Context switches per second: the times the process's threads were scheduled in (summed
    /// schedstat timeslices; from the main thread's status counts when there is no schedstat).
    public var ctxswPerS: Double? = nil
    /// Involuntary context switches of the main thread per second.
    public var nonvoluntaryCtxswPerS: Double? = nil
    /// Run-queue wait per second of wall time (summed over threads).
    public var runqueueWaitMsPerS: Double? = nil
    /// read_bytes per second, in MB (10^6).
    public var readMbPerS: Double? = nil

    // MARK: Threads
    /// Per thread (task/<tid>), on the samples that read the threads (every sample at the default
    /// interval; with the slow readings when sampling faster, see `ProbeConfiguration`).
    public var threads: [ThreadSample]? = nil

    // MARK: System
    /// Fraction of all CPUs busy (not idle, not iowait) in the interval.
    public var sysCpuBusyFraction: Double? = nil
    /// Share of all CPU time spent in user mode (user + nice) over the interval, every process's
    /// together; with the engine's `utime` it gives the CPU other programs used
    /// (`system.other_cpu_cores` in experiments), without the kernel's own work (reclaim, I/O).
    public var sysCpuUserFraction: Double? = nil
    /// vmstat pgfault, cumulative.
    public var sysPgfault: UInt64? = nil
    /// vmstat pgmajfault, cumulative.
    public var sysPgmajfault: UInt64? = nil
    /// vmstat pswpin, cumulative.
    public var sysPswpin: UInt64? = nil
    /// vmstat pswpout, cumulative.
    public var sysPswpout: UInt64? = nil
    /// vmstat workingset_refault_file, cumulative.
    public var sysWorkingsetRefaultFile: UInt64? = nil
    /// vmstat pgscan_direct, cumulative.
    public var sysPgscanDirect: UInt64? = nil
    /// vmstat allocstall (summed over zones), cumulative.
    public var sysAllocstall: UInt64? = nil
    /// System-wide major faults per second.
    public var sysPgmajfaultPerS: Double? = nil
    /// Pages swapped in per second.
    public var sysPswpinPerS: Double? = nil
    /// File refaults per second (thrashing).
    public var sysRefaultFilePerS: Double? = nil
    /// Direct-reclaim page scans per second.
    public var sysPgscanDirectPerS: Double? = nil
    /// /proc/pressure/cpu some avg10 (%).
    public var psiCpuSomeAvg10: Double? = nil
    /// /proc/pressure/memory some avg10 (%).
    public var psiMemorySomeAvg10: Double? = nil
    /// /proc/pressure/io some avg10 (%).
    public var psiIoSomeAvg10: Double? = nil
    /// /proc/pressure/cpu some total.
    public var psiCpuSomeTotalUs: UInt64? = nil
    /// /proc/pressure/memory some total.
    public var psiMemorySomeTotalUs: UInt64? = nil
    /// /proc/pressure/memory full total.
    public var psiMemoryFullTotalUs: UInt64? = nil
    /// /proc/pressure/io some total.
    public var psiIoSomeTotalUs: UInt64? = nil
    /// /proc/pressure/io full total.
    public var psiIoFullTotalUs: UInt64? = nil
    /// CPU stall (some) per second.
    public var psiCpuSomeUsPerS: Double? = nil
    /// Memory stall (some) per second.
    public var psiMemorySomeUsPerS: Double? = nil
    /// Memory stall (full) per second.
    public var psiMemoryFullUsPerS: Double? = nil
    /// I/O stall (some) per second.
    public var psiIoSomeUsPerS: Double? = nil
    /// I/O stall (full) per second.
    public var psiIoFullUsPerS: Double? = nil
    /// Reads per second, whole disks summed (iostat r/s).
    public var diskRPerS: Double? = nil
    /// MB read per second (rkB/s / 1000).
    public var diskReadMbPerS: Double? = nil
    /// MB written per second.
    public var diskWriteMbPerS: Double? = nil
    /// Mean read latency (iostat r_await).
    public var diskRAwaitMs: Double? = nil
    /// Average queue size (iostat aqu-sz).
    public var diskAquSz: Double? = nil
    /// Percent of time with I/O in flight (iostat %util, averaged over disks).
    public var diskUtilPct: Double? = nil

    // MARK: Cgroup
    /// Which cgroup interface the cg_ fields came from.
    public var cgroupVersion: CgroupVersion? = nil
    /// The cgroup's path in its hierarchy.
    public var cgroupPath: String? = nil
    /// CPU used, cumulative.
    public var cgUsageUsec: UInt64? = nil
    /// Enforcement periods, cumulative.
    public var cgNrPeriods: UInt64? = nil
    /// Periods throttled, cumulative.
    public var cgNrThrottled: UInt64? = nil
    /// Time throttled, cumulative.
    public var cgThrottledUsec: UInt64? = nil
    /// The CPU quota in cores (absent = unlimited).
    public var cgCpuQuotaCores: Double? = nil
    /// Memory charged now.
    public var cgMemoryCurrentBytes: UInt64? = nil
    /// The hard memory limit (absent = unlimited).
    public var cgMemoryMaxBytes: UInt64? = nil
    /// The v2 high limit (absent = unlimited or v1).
    public var cgMemoryHighBytes: UInt64? = nil
    /// Peak memory.
    public var cgMemoryPeakBytes: UInt64? = nil
    /// OOM kills, cumulative.
    public var cgOomKill: UInt64? = nil
    /// v2 memory.events max (limit hits).
    public var cgEventsMax: UInt64? = nil
    /// v2 memory.events high (throttling events).
    public var cgEventsHigh: UInt64? = nil
    /// v1 memory.failcnt (limit hits).
    public var cgFailcnt: UInt64? = nil
    /// memory.stat pgmajfault.
    public var cgPgmajfault: UInt64? = nil
    /// memory.stat anon (v1 rss).
    public var cgAnonBytes: UInt64? = nil
    /// memory.stat file (v1 cache).
    public var cgFileBytes: UInt64? = nil
    /// memory.stat workingset_refault_file.
    public var cgWorkingsetRefaultFile: UInt64? = nil
    /// CPU cores used by the cgroup (usage per second).
    public var cgCpuCores: Double? = nil
    /// Throttled time per second.
    public var cgThrottledUsecPerS: Double? = nil
    /// Throttled periods per second.
    public var cgNrThrottledPerS: Double? = nil
    /// The cgroup's cpu.pressure some per second (v2).
    public var cgPsiCpuSomeUsPerS: Double? = nil
    /// The cgroup's memory.pressure some per second (v2).
    public var cgPsiMemorySomeUsPerS: Double? = nil
    /// The cgroup's io.pressure some per second (v2).
    public var cgPsiIoSomeUsPerS: Double? = nil
    /// The cgroup's own stall counters (v2 cpu.pressure, memory.pressure, io.pressure totals, in
    /// µs): only its own threads count, unlike /proc/pressure.
    public var cgPsiCpuSomeTotalUs: UInt64? = nil
    public var cgPsiMemorySomeTotalUs: UInt64? = nil
    public var cgPsiMemoryFullTotalUs: UInt64? = nil
    public var cgPsiIoSomeTotalUs: UInt64? = nil

    // MARK: File
    /// The file whose page-cache residency is sampled.
    public var filePath: String? = nil
    /// Its resident fraction (mincore).
    public var fileResidentFraction: Double? = nil

    public init(time: MonotonicInstant, elapsedMs: Double, event: String = "sample") {
        self.time = time
        self.elapsedMs = elapsedMs
        self.event = event
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case time = "t_ns"
        case elapsedMs = "elapsed_ms"
        case intervalMs = "interval_ms"
        case event
        case pid
        case state
        case exitStatus = "exit_status"
        case exitSignal = "exit_signal"
        case minflt
        case majflt
        case utimeMs = "utime_ms"
        case stimeMs = "stime_ms"
        case numThreads = "num_threads"
        case processor
        case rssBytes = "rss_bytes"
        case hwmBytes = "hwm_bytes"
        case rssAnonBytes = "rss_anon_bytes"
        case rssFileBytes = "rss_file_bytes"
        case lockedBytes = "locked_bytes"
        case swapBytes = "swap_bytes"
        case voluntaryCtxtSwitches = "voluntary_ctxt_switches"
        case nonvoluntaryCtxtSwitches = "nonvoluntary_ctxt_switches"
        case cpusAllowedList = "cpus_allowed_list"
        case runNs = "run_ns"
        case runqueueWaitNs = "runqueue_wait_ns"
        case timeslices
        case readBytes = "read_bytes"
        case writeBytes = "write_bytes"
        case rchar
        case cpuCores = "cpu_cores"
        case majfltPerS = "majflt_per_s"
        case minfltPerS = "minflt_per_s"
        case ctxswPerS = "ctxsw_per_s"
        case nonvoluntaryCtxswPerS = "nonvoluntary_ctxsw_per_s"
        case runqueueWaitMsPerS = "runqueue_wait_ms_per_s"
        case readMbPerS = "read_mb_per_s"
        case threads
        case sysCpuBusyFraction = "sys_cpu_busy_fraction"
        case sysCpuUserFraction = "sys_cpu_user_fraction"
        case sysPgfault = "sys_pgfault"
        case sysPgmajfault = "sys_pgmajfault"
        case sysPswpin = "sys_pswpin"
        case sysPswpout = "sys_pswpout"
        case sysWorkingsetRefaultFile = "sys_workingset_refault_file"
        case sysPgscanDirect = "sys_pgscan_direct"
        case sysAllocstall = "sys_allocstall"
        case sysPgmajfaultPerS = "sys_pgmajfault_per_s"
        case sysPswpinPerS = "sys_pswpin_per_s"
        case sysRefaultFilePerS = "sys_refault_file_per_s"
        case sysPgscanDirectPerS = "sys_pgscan_direct_per_s"
        case psiCpuSomeAvg10 = "psi_cpu_some_avg10"
        case psiMemorySomeAvg10 = "psi_memory_some_avg10"
        case psiIoSomeAvg10 = "psi_io_some_avg10"
        case psiCpuSomeTotalUs = "psi_cpu_some_total_us"
        case psiMemorySomeTotalUs = "psi_memory_some_total_us"
        case psiMemoryFullTotalUs = "psi_memory_full_total_us"
        case psiIoSomeTotalUs = "psi_io_some_total_us"
        case psiIoFullTotalUs = "psi_io_full_total_us"
        case psiCpuSomeUsPerS = "psi_cpu_some_us_per_s"
        case psiMemorySomeUsPerS = "psi_memory_some_us_per_s"
        case psiMemoryFullUsPerS = "psi_memory_full_us_per_s"
        case psiIoSomeUsPerS = "psi_io_some_us_per_s"
        case psiIoFullUsPerS = "psi_io_full_us_per_s"
        case diskRPerS = "disk_r_per_s"
        case diskReadMbPerS = "disk_read_mb_per_s"
        case diskWriteMbPerS = "disk_write_mb_per_s"
        case diskRAwaitMs = "disk_r_await_ms"
        case diskAquSz = "disk_aqu_sz"
        case diskUtilPct = "disk_util_pct"
        case cgroupVersion = "cgroup_version"
        case cgroupPath = "cgroup_path"
        case cgUsageUsec = "cg_usage_usec"
        case cgNrPeriods = "cg_nr_periods"
        case cgNrThrottled = "cg_nr_throttled"
        case cgThrottledUsec = "cg_throttled_usec"
        case cgCpuQuotaCores = "cg_cpu_quota_cores"
        case cgMemoryCurrentBytes = "cg_memory_current_bytes"
        case cgMemoryMaxBytes = "cg_memory_max_bytes"
        case cgMemoryHighBytes = "cg_memory_high_bytes"
        case cgMemoryPeakBytes = "cg_memory_peak_bytes"
        case cgOomKill = "cg_oom_kill"
        case cgEventsMax = "cg_events_max"
        case cgEventsHigh = "cg_events_high"
        case cgFailcnt = "cg_failcnt"
        case cgPgmajfault = "cg_pgmajfault"
        case cgAnonBytes = "cg_anon_bytes"
        case cgFileBytes = "cg_file_bytes"
        case cgWorkingsetRefaultFile = "cg_workingset_refault_file"
        case cgCpuCores = "cg_cpu_cores"
        case cgThrottledUsecPerS = "cg_throttled_usec_per_s"
        case cgNrThrottledPerS = "cg_nr_throttled_per_s"
        case cgPsiCpuSomeUsPerS = "cg_psi_cpu_some_us_per_s"
        case cgPsiMemorySomeUsPerS = "cg_psi_memory_some_us_per_s"
        case cgPsiIoSomeUsPerS = "cg_psi_io_some_us_per_s"
        case cgPsiCpuSomeTotalUs = "cg_psi_cpu_some_total_us"
        case cgPsiMemorySomeTotalUs = "cg_psi_memory_some_total_us"
        case cgPsiMemoryFullTotalUs = "cg_psi_memory_full_total_us"
        case cgPsiIoSomeTotalUs = "cg_psi_io_some_total_us"
        case filePath = "file_path"
        case fileResidentFraction = "file_resident_fraction"
    }
}
