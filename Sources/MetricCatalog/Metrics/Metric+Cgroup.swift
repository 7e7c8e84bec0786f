import SystemProbe

/// The engine's cgroup: `cpu.stat`, `memory.*` and its pressure files (v2), or the v1 equivalents.
extension Metric {
    // MARK: CPU

    public static let cgroupCPUUsage = Metric(
        name: "cgroup.cpu.usage_usec", label: "cgroup CPU time", unit: .microseconds, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgUsageUsec.map { Double($0) } }, help: "CPU used, cumulative.")
    public static let cgroupCPUPeriods = Metric(
        name: "cgroup.cpu.nr_periods", label: "quota periods", unit: .count, kind: .counter, source: .cgroup,
        reading: .probe { $0.cgNrPeriods.map { Double($0) } }, help: "CPU-quota enforcement periods, cumulative.")
    public static let cgroupCPUThrottledPeriods = Metric(
        name: "cgroup.cpu.nr_throttled", label: "throttled periods", unit: .count, kind: .counter, source: .cgroup,
        reading: .probe { $0.cgNrThrottled.map { Double($0) } },
        help: "Periods in which the quota ran out, cumulative.")
    public static let cgroupCPUThrottled = Metric(
        name: "cgroup.cpu.throttled_usec", label: "CPU throttled", unit: .microseconds, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgThrottledUsec.map { Double($0) } },
        help: "Time the cgroup's threads were held off the CPU by the quota (cpu.stat throttled_usec), cumulative.")
    public static let cgroupCPUQuota = Metric(
        name: "cgroup.cpu.quota_cores", label: "CPU quota", unit: .cores, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgCpuQuotaCores }, help: "The CPU quota in cores (absent: unlimited).")
    public static let cgroupCPUCores = Metric(
        name: "cgroup.cpu.cores", label: "cgroup CPU cores", unit: .cores, kind: .rate, source: .cgroup,
        reading: .probe { $0.cgCpuCores }, help: "CPU cores the cgroup used (usage per second).")
    public static let cgroupCPUThrottledRate = Metric(
        name: "cgroup.cpu.throttled_usec_per_s", label: "CPU throttled", unit: .microsecondsPerSecond, kind: .rate,
        source: .cgroup, reading: .probe { $0.cgThrottledUsecPerS }, help: "Throttled time per second.")
    public static let cgroupCPUThrottledPeriodRate = Metric(
        name: "cgroup.cpu.nr_throttled_per_s", label: "throttled periods", unit: .perSecond, kind: .rate,
        source: .cgroup, reading: .probe { $0.cgNrThrottledPerS }, help: "Throttled periods per second.")
    public static let cgroupCPUPressureRate = Metric(
        name: "cgroup.cpu.pressure_some_us_per_s", label: "cgroup PSI cpu some", unit: .microsecondsPerSecond,
        kind: .rate, source: .cgroup, reading: .probe { $0.cgPsiCpuSomeUsPerS },
        help: "The cgroup's cpu.pressure some (time a runnable thread waited for a CPU) per second, v2.")

    // MARK: Memory

    public static let cgroupMemoryCurrent = Metric(
        name: "cgroup.memory.current", label: "cgroup memory", unit: .bytes, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgMemoryCurrentBytes.map { Double($0) } },
        help: "Memory charged to the cgroup now, page cache included.")
    public static let cgroupMemoryMax = Metric(
        name: "cgroup.memory.max", label: "memory limit", unit: .bytes, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgMemoryMaxBytes.map { Double($0) } }, help: "The hard memory limit (absent: unlimited).")
    public static let cgroupMemoryHigh = Metric(
        name: "cgroup.memory.high", label: "memory high", unit: .bytes, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgMemoryHighBytes.map { Double($0) } },
        help: "The v2 high limit, above which the cgroup is reclaimed (absent: unlimited or v1).")
    public static let cgroupMemoryPeak = Metric(
        name: "cgroup.memory.peak", label: "cgroup memory peak", unit: .bytes, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgMemoryPeakBytes.map { Double($0) } }, help: "The peak of memory charged.")
    public static let cgroupMemoryAnonymous = Metric(
        name: "cgroup.memory.anon", label: "cgroup anonymous", unit: .bytes, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgAnonBytes.map { Double($0) } }, help: "memory.stat anon (v1: rss).")
    public static let cgroupMemoryFile = Metric(
        name: "cgroup.memory.file", label: "cgroup page cache", unit: .bytes, kind: .gauge, source: .cgroup,
        reading: .probe { $0.cgFileBytes.map { Double($0) } }, help: "memory.stat file (v1: cache).")
    public static let cgroupOOMKills = Metric(
        name: "cgroup.memory.oom_kill", label: "OOM kills", unit: .count, kind: .counter, source: .cgroup,
        reading: .probe { $0.cgOomKill.map { Double($0) } }, help: "Processes the OOM killer took, cumulative.")
    public static let cgroupMemoryMaxEvents = Metric(
        name: "cgroup.memory.max_events", label: "memory limit hits", unit: .count, kind: .counter, source: .cgroup,
        reading: .probe { $0.cgEventsMax.map { Double($0) } },
        help: "memory.events max: times the usage hit the hard limit (v2), cumulative.")
    public static let cgroupMemoryHighEvents = Metric(
        name: "cgroup.memory.high_events", label: "memory high events", unit: .count, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgEventsHigh.map { Double($0) } },
        help: "memory.events high: times the cgroup was throttled and reclaimed above its high limit (v2), cumulative.")
    public static let cgroupMemoryFailCount = Metric(
        name: "cgroup.memory.failcnt", label: "memory limit hits", unit: .count, kind: .counter, source: .cgroup,
        reading: .probe { $0.cgFailcnt.map { Double($0) } }, help: "memory.failcnt: limit hits (v1), cumulative.")
    public static let cgroupMajorFaults = Metric(
        name: "cgroup.memory.pgmajfault", label: "cgroup major faults", unit: .count, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgPgmajfault.map { Double($0) } },
        help: "memory.stat pgmajfault: major faults of every process in the cgroup, cumulative.")
    public static let cgroupFileRefaults = Metric(
        name: "cgroup.memory.workingset_refault_file", label: "file refaults", unit: .count, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgWorkingsetRefaultFile.map { Double($0) } },
        help: "memory.stat workingset_refault_file: file pages read again soon after being evicted, cumulative.")
    public static let cgroupMemoryPressureRate = Metric(
        name: "cgroup.memory.pressure_some_us_per_s", label: "cgroup PSI memory some",
        unit: .microsecondsPerSecond, kind: .rate, source: .cgroup, reading: .probe { $0.cgPsiMemorySomeUsPerS },
        help: "The cgroup's memory.pressure some (time a thread stalled on memory) per second, v2.")

    public static let cgroupIOPressureRate = Metric(
        name: "cgroup.io.pressure_some_us_per_s", label: "cgroup PSI io some", unit: .microsecondsPerSecond,
        kind: .rate, source: .cgroup, reading: .probe { $0.cgPsiIoSomeUsPerS },
        help: "The cgroup's io.pressure some (time a thread waited on I/O) per second, v2.")

    // MARK: Pressure counters (v2): the cgroup's own stall time, judged as its share of the trial

    public static let cgroupCPUPressure = Metric(
        name: "cgroup.cpu.pressure_some_total", label: "cgroup PSI cpu some", unit: .microseconds, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgPsiCpuSomeTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent,
        help:
            "cpu.pressure some total of the cgroup: time one of its runnable threads waited for a CPU (a quota's "
            + "throttling included), cumulative; v2 only, and only the cgroup's own threads count.")
    public static let cgroupMemoryPressure = Metric(
        name: "cgroup.memory.pressure_some_total", label: "cgroup PSI memory some", unit: .microseconds,
        kind: .counter, source: .cgroup, reading: .probe { $0.cgPsiMemorySomeTotalUs.map { Double($0) } },
        aggregate: .shareOfTime, negligibleBelow: negligibleStallPercent,
        help:
            "memory.pressure some total of the cgroup: time one of its threads stalled on memory (reclaim at its "
            + "limit, refaults), cumulative; v2 only.")
    public static let cgroupMemoryPressureFull = Metric(
        name: "cgroup.memory.pressure_full_total", label: "cgroup PSI memory full", unit: .microseconds,
        kind: .counter, source: .cgroup, reading: .probe { $0.cgPsiMemoryFullTotalUs.map { Double($0) } },
        aggregate: .shareOfTime, negligibleBelow: negligibleStallPercent,
        help: "memory.pressure full total of the cgroup: time all its non-idle threads stalled on memory at once; v2.")
    public static let cgroupIOPressure = Metric(
        name: "cgroup.io.pressure_some_total", label: "cgroup PSI io some", unit: .microseconds, kind: .counter,
        source: .cgroup, reading: .probe { $0.cgPsiIoSomeTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent,
        help: "io.pressure some total of the cgroup: time one of its threads waited on I/O, cumulative; v2 only.")

    static let cgroupMetrics: [Metric] = [
        cgroupCPUUsage, cgroupCPUPeriods, cgroupCPUThrottledPeriods, cgroupCPUThrottled, cgroupCPUQuota,
        cgroupCPUCores, cgroupCPUThrottledRate, cgroupCPUThrottledPeriodRate, cgroupCPUPressureRate,
        cgroupMemoryCurrent, cgroupMemoryMax, cgroupMemoryHigh, cgroupMemoryPeak, cgroupMemoryAnonymous,
        cgroupMemoryFile, cgroupOOMKills, cgroupMemoryMaxEvents, cgroupMemoryHighEvents, cgroupMemoryFailCount,
        cgroupMajorFaults, cgroupFileRefaults, cgroupMemoryPressureRate, cgroupIOPressureRate, cgroupCPUPressure,
        cgroupMemoryPressure, cgroupMemoryPressureFull, cgroupIOPressure,
    ]
}
