import SystemProbe

/// The whole machine: `/proc/stat` and `/proc/vmstat`.
extension Metric {
    public static let systemCPUBusy = Metric(
        name: "system.cpu_busy_fraction", label: "machine CPU busy", unit: .fraction, kind: .rate, source: .system,
        reading: .probe { $0.sysCpuBusyFraction },
        help: "Share of all CPUs busy (not idle, not iowait) in the interval.")
    public static let systemCPUUser = Metric(
        name: "system.cpu_user_fraction", label: "machine CPU user", unit: .fraction, kind: .rate, source: .system,
        reading: .probe { $0.sysCpuUserFraction },
        help: "Share of all CPU time in user mode (user + nice) over the interval, every process's together.")
    public static let otherCPUCores = Metric(
        name: "system.other_cpu_cores", label: "other programs' CPU", unit: .cores, kind: .rate, source: .system,
        reading: .trial(.otherCPUCores), negligibleBelow: 0.1,
        help: "CPU used by every program but the engine: system.cpu_user_fraction times the CPUs, less the engine's "
            + "process.utime_ms rate; kernel work (reclaim, I/O) left out. Under 0.1 cores it explains nothing.")
    public static let systemPageFaults = Metric(
        name: "system.pgfault", label: "machine faults", unit: .count, kind: .counter, source: .system,
        reading: .probe { $0.sysPgfault.map { Double($0) } }, help: "vmstat pgfault: every page fault, cumulative.")
    public static let systemMajorFaults = Metric(
        name: "system.pgmajfault", label: "machine major faults", unit: .count, kind: .counter, source: .system,
        reading: .probe { $0.sysPgmajfault.map { Double($0) } }, help: "vmstat pgmajfault, cumulative.")
    public static let systemSwapIns = Metric(
        name: "system.pswpin", label: "swap-ins", unit: .count, kind: .counter, source: .system,
        reading: .probe { $0.sysPswpin.map { Double($0) } }, help: "vmstat pswpin: pages swapped in, cumulative.")
    public static let systemSwapOuts = Metric(
        name: "system.pswpout", label: "swap-outs", unit: .count, kind: .counter, source: .system,
        reading: .probe { $0.sysPswpout.map { Double($0) } }, help: "vmstat pswpout: pages swapped out, cumulative.")
    public static let systemFileRefaults = Metric(
        name: "system.workingset_refault_file", label: "machine file refaults", unit: .count, kind: .counter,
        source: .system, reading: .probe { $0.sysWorkingsetRefaultFile.map { Double($0) } },
        help: "vmstat workingset_refault_file: file pages read again soon after eviction (thrashing), cumulative.")
    public static let systemDirectScans = Metric(
        name: "system.pgscan_direct", label: "direct-reclaim scans", unit: .count, kind: .counter, source: .system,
        reading: .probe { $0.sysPgscanDirect.map { Double($0) } },
        help: "vmstat pgscan_direct: pages scanned by allocating tasks reclaiming themselves, cumulative.")
    public static let systemAllocationStalls = Metric(
        name: "system.allocstall", label: "allocation stalls", unit: .count, kind: .counter, source: .system,
        reading: .probe { $0.sysAllocstall.map { Double($0) } },
        help: "vmstat allocstall, summed over zones: allocations that entered direct reclaim, cumulative.")
    public static let systemMajorFaultRate = Metric(
        name: "system.pgmajfault_per_s", label: "machine major faults", unit: .perSecond, kind: .rate,
        source: .system, reading: .probe { $0.sysPgmajfaultPerS }, help: "System-wide major faults per second.")
    public static let systemSwapInRate = Metric(
        name: "system.pswpin_per_s", label: "swap-ins", unit: .perSecond, kind: .rate, source: .system,
        reading: .probe { $0.sysPswpinPerS }, help: "Pages swapped in per second.")
    public static let systemFileRefaultRate = Metric(
        name: "system.refault_file_per_s", label: "machine file refaults", unit: .perSecond, kind: .rate,
        source: .system, reading: .probe { $0.sysRefaultFilePerS }, help: "File refaults per second (thrashing).")
    public static let systemDirectScanRate = Metric(
        name: "system.pgscan_direct_per_s", label: "direct-reclaim scans", unit: .perSecond, kind: .rate,
        source: .system, reading: .probe { $0.sysPgscanDirectPerS }, help: "Direct-reclaim page scans per second.")

    static let systemMetrics: [Metric] = [
        systemCPUBusy, systemCPUUser, otherCPUCores, systemPageFaults, systemMajorFaults, systemSwapIns,
        systemSwapOuts, systemFileRefaults, systemDirectScans, systemAllocationStalls, systemMajorFaultRate,
        systemSwapInRate, systemFileRefaultRate, systemDirectScanRate,
    ]
}
