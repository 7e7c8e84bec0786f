import SystemProbe

/// The engine process, from `/proc/<pid>/{stat,status,schedstat,io}` (`ProbeSample`).
extension Metric {
    // MARK: Counters

    public static let processMinorFaults = Metric(
        name: "process.minflt", label: "minor faults", unit: .count, kind: .counter, source: .process,
        reading: .probe { $0.minflt.map { Double($0) } }, help: "Minor page faults (no disk read), cumulative.")
    public static let processMajorFaults = Metric(
        name: "process.majflt", label: "major faults", unit: .count, kind: .counter, source: .process,
        reading: .probe { $0.majflt.map { Double($0) } }, help: "Major page faults (pages read from disk), cumulative.")
    public static let processUserTime = Metric(
        name: "process.utime_ms", label: "user CPU time", unit: .milliseconds, kind: .counter, source: .process,
        reading: .probe { $0.utimeMs }, help: "User CPU time of every thread, cumulative.")
    public static let processSystemTime = Metric(
        name: "process.stime_ms", label: "system CPU time", unit: .milliseconds, kind: .counter, source: .process,
        reading: .probe { $0.stimeMs }, help: "System CPU time of every thread, cumulative.")
    public static let processVoluntaryContextSwitches = Metric(
        name: "process.voluntary_ctxsw", label: "voluntary ctx switches", unit: .count, kind: .counter,
        source: .process, reading: .probe { $0.voluntaryCtxtSwitches.map { Double($0) } },
        help: "Voluntary context switches of the main thread (/proc/<pid>/status), cumulative.")
    public static let processNonvoluntaryContextSwitches = Metric(
        name: "process.nonvoluntary_ctxsw", label: "preemptions", unit: .count, kind: .counter, source: .process,
        reading: .probe { $0.nonvoluntaryCtxtSwitches.map { Double($0) } },
        help: "Involuntary context switches (preemptions) of the main thread, cumulative.")
    public static let processRunTime = Metric(
        name: "process.run_ns", label: "time on CPU", unit: .nanoseconds, kind: .counter, source: .process,
        reading: .probe { $0.runNs.map { Double($0) } },
        help: "schedstat time on CPU, summed over the threads, cumulative.")
    public static let processRunqueueWait = Metric(
        name: "process.runqueue_wait_ns", label: "run-queue wait", unit: .nanoseconds, kind: .counter,
        source: .process, reading: .probe { $0.runqueueWaitNs.map { Double($0) } },
        help: "schedstat time runnable but waiting for a CPU, summed over the threads, cumulative.")
    public static let processTimeslices = Metric(
        name: "process.timeslices", label: "timeslices", unit: .count, kind: .counter, source: .process,
        reading: .probe { $0.timeslices.map { Double($0) } },
        help: "schedstat times scheduled in, summed over the threads, cumulative.")
    public static let processReadBytes = Metric(
        name: "process.read_bytes", label: "block reads", unit: .bytes, kind: .counter, source: .process,
        reading: .probe { $0.readBytes.map { Double($0) } },
        help: "Bytes the process caused to be read from the block layer (/proc/<pid>/io read_bytes), cumulative.")
    public static let processWriteBytes = Metric(
        name: "process.write_bytes", label: "block writes", unit: .bytes, kind: .counter, source: .process,
        reading: .probe { $0.writeBytes.map { Double($0) } },
        help: "Bytes the process caused to be written to the block layer, cumulative.")
    public static let processReadChars = Metric(
        name: "process.rchar", label: "bytes read", unit: .bytes, kind: .counter, source: .process,
        reading: .probe { $0.rchar.map { Double($0) } },
        help: "Bytes read by read(2) and the like, page-cache hits included (/proc/<pid>/io rchar), cumulative.")

    // MARK: Gauges

    public static let processThreads = Metric(
        name: "process.num_threads", label: "threads", unit: .count, kind: .gauge, source: .process,
        reading: .probe { $0.numThreads.map { Double($0) } }, help: "Threads of the process.")
    public static let processRSS = Metric(
        name: "process.rss", label: "RSS", unit: .bytes, kind: .gauge, source: .process,
        reading: .probe { $0.rssBytes.map { Double($0) } }, help: "Resident set size (VmRSS).")
    public static let processPeakRSS = Metric(
        name: "process.hwm", label: "peak RSS", unit: .bytes, kind: .gauge, source: .process,
        reading: .probe { $0.hwmBytes.map { Double($0) } }, help: "The kernel's record of the peak RSS (VmHWM).")
    public static let processAnonymousRSS = Metric(
        name: "process.rss_anon", label: "anonymous RSS", unit: .bytes, kind: .gauge, source: .process,
        reading: .probe { $0.rssAnonBytes.map { Double($0) } }, help: "Resident anonymous memory (RssAnon).")
    public static let processFileRSS = Metric(
        name: "process.rss_file", label: "file RSS", unit: .bytes, kind: .gauge, source: .process,
        reading: .probe { $0.rssFileBytes.map { Double($0) } },
        help: "Resident file-backed memory (RssFile): an mmapped model shows here.")
    public static let processLocked = Metric(
        name: "process.locked", label: "locked", unit: .bytes, kind: .gauge, source: .process,
        reading: .probe { $0.lockedBytes.map { Double($0) } }, help: "Memory locked with mlock (VmLck).")
    public static let processSwap = Metric(
        name: "process.swap", label: "swapped out", unit: .bytes, kind: .gauge, source: .process,
        reading: .probe { $0.swapBytes.map { Double($0) } }, help: "Anonymous memory swapped out (VmSwap).")

    // MARK: Rates

    public static let processCPUCores = Metric(
        name: "process.cpu_cores", label: "CPU cores", unit: .cores, kind: .rate, source: .process,
        reading: .probe { $0.cpuCores },
        help: "(utime + stime) per second of wall time, over 100 ms at least (the counters tick every 10 ms).")
    public static let processMajorFaultRate = Metric(
        name: "process.majflt_per_s", label: "major faults", unit: .perSecond, kind: .rate, source: .process,
        reading: .probe { $0.majfltPerS }, help: "Major page faults per second.")
    public static let processMinorFaultRate = Metric(
        name: "process.minflt_per_s", label: "minor faults", unit: .perSecond, kind: .rate, source: .process,
        reading: .probe { $0.minfltPerS }, help: "Minor page faults per second.")
    public static let processContextSwitchRate = Metric(
        name: "process.ctxsw_per_s", label: "ctx switches", unit: .perSecond, kind: .rate, source: .process,
        reading: .probe { $0.ctxswPerS },
        help: "Times the process's threads were scheduled in per second (summed schedstat timeslices).")
    public static let processPreemptionRate = Metric(
        name: "process.nonvoluntary_ctxsw_per_s", label: "preemptions", unit: .perSecond, kind: .rate,
        source: .process, reading: .probe { $0.nonvoluntaryCtxswPerS },
        help: "Involuntary context switches of the main thread per second.")
    public static let processRunqueueWaitRate = Metric(
        name: "process.runqueue_wait_ms_per_s", label: "run-queue wait", unit: .millisecondsPerSecond, kind: .rate,
        source: .process, reading: .probe { $0.runqueueWaitMsPerS },
        help: "Time runnable but waiting for a CPU per second of wall time, summed over the threads.")
    public static let processReadRate = Metric(
        name: "process.read_mb_per_s", label: "block reads", unit: .megabytesPerSecond, kind: .rate,
        source: .process, reading: .probe { $0.readMbPerS }, help: "read_bytes per second, in MB (10^6 bytes).")

    static let processMetrics: [Metric] = [
        processMinorFaults, processMajorFaults, processUserTime, processSystemTime, processVoluntaryContextSwitches,
        processNonvoluntaryContextSwitches, processRunTime, processRunqueueWait, processTimeslices, processReadBytes,
        processWriteBytes, processReadChars, processThreads, processRSS, processPeakRSS, processAnonymousRSS,
        processFileRSS, processLocked, processSwap, processCPUCores, processMajorFaultRate, processMinorFaultRate,
        processContextSwitchRate, processPreemptionRate, processRunqueueWaitRate, processReadRate,
    ]
}
