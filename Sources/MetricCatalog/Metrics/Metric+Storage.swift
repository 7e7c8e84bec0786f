import SystemProbe

/// Whole disks summed (`/proc/diskstats`, as iostat computes them) and the model file's
/// page-cache residency (mincore).
extension Metric {
    public static let diskReads = Metric(
        name: "disk.r_per_s", label: "disk reads", unit: .perSecond, kind: .rate, source: .disk,
        reading: .probe { $0.diskRPerS }, help: "Reads completed per second (iostat r/s).")
    public static let diskReadRate = Metric(
        name: "disk.read_mb_per_s", label: "disk read", unit: .megabytesPerSecond, kind: .rate, source: .disk,
        reading: .probe { $0.diskReadMbPerS }, help: "MB (10^6 bytes) read per second (iostat rkB/s / 1000).")
    public static let diskWriteRate = Metric(
        name: "disk.write_mb_per_s", label: "disk write", unit: .megabytesPerSecond, kind: .rate, source: .disk,
        reading: .probe { $0.diskWriteMbPerS }, help: "MB (10^6 bytes) written per second.")
    public static let diskReadWait = Metric(
        name: "disk.r_await_ms", label: "disk read latency", unit: .milliseconds, kind: .rate, source: .disk,
        reading: .probe { $0.diskRAwaitMs },
        help: "Mean time a read took over the interval, queueing included (iostat r_await).")
    public static let diskQueueSize = Metric(
        name: "disk.aqu_sz", label: "disk queue", unit: .count, kind: .rate, source: .disk,
        reading: .probe { $0.diskAquSz }, help: "Mean number of requests in flight over the interval (iostat aqu-sz).")
    public static let diskUtilization = Metric(
        name: "disk.util_pct", label: "disk busy", unit: .percent, kind: .rate, source: .disk,
        reading: .probe { $0.diskUtilPct },
        help: "Share of the interval with I/O in flight, averaged over disks (iostat %util).")
    public static let modelFileResidency = Metric(
        name: "file.resident_fraction", label: "model file resident", unit: .fraction, kind: .gauge, source: .file,
        reading: .probe { $0.fileResidentFraction }, aggregate: .min,
        help: "Share of the model file's pages in the page cache (mincore); a trial is judged by its lowest.")

    static let diskMetrics: [Metric] = [
        diskReads, diskReadRate, diskWriteRate, diskReadWait, diskQueueSize, diskUtilization,
    ]
    static let fileMetrics: [Metric] = [modelFileResidency]
}
