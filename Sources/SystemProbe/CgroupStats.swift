/// Which cgroup interface a reading came from.
public enum CgroupVersion: String, Sendable, Codable, Equatable {
    case v1, v2
}

/// One model of a cgroup's CPU, memory, pressure and I/O counters for both cgroup versions.
///
/// Everything is optional: a key that a kernel or a hierarchy does not provide stays `nil`.
/// v1 values are converted to v2 units (microseconds, bytes); `version` records the source.
public struct CgroupStats: Sendable, Codable, Equatable {
    public var version: CgroupVersion
    /// The cgroup's path inside its hierarchy ("/inferlab-1234").
    public var path: String

    // CPU (v2 cpu.stat + cpu.max; v1 cpuacct.usage + cpu.stat + cpu.cfs_*).
    public var usageMicroseconds: UInt64?
    public var userMicroseconds: UInt64?
    public var systemMicroseconds: UInt64?
    public var nrPeriods: UInt64?
    public var nrThrottled: UInt64?
    /// Time throttled (v1's throttled_time is in ns and converted).
    public var throttledMicroseconds: UInt64?
    /// The CPU quota in cores (quota / period); `nil` when unlimited.
    public var cpuQuotaCores: Double?
    public var cpuPeriodMicroseconds: UInt64?

    // Memory (v2 memory.*; v1 memory.usage_in_bytes, limit_in_bytes, max_usage_in_bytes, ...).
    public var memoryCurrentBytes: UInt64?
    /// The hard limit; `nil` when unlimited.
    public var memoryMaxBytes: UInt64?
    /// The v2 throttling limit; `nil` when unlimited or on v1.
    public var memoryHighBytes: UInt64?
    /// The peak usage (v2 memory.peak, v1 max_usage_in_bytes).
    public var memoryPeakBytes: UInt64?
    /// v1 only: times usage hit the limit.
    public var failcnt: UInt64?
    /// v2 memory.events.
    public var eventsLow: UInt64?
    public var eventsHigh: UInt64?
    public var eventsMax: UInt64?
    public var eventsOOM: UInt64?
    /// OOM kills (v2 memory.events, v1 memory.oom_control).
    public var oomKill: UInt64?
    /// memory.stat, in v2 names (v1 rss -> anon, cache -> file, mapped_file -> file_mapped).
    public var anonBytes: UInt64?
    public var fileBytes: UInt64?
    public var fileMappedBytes: UInt64?
    public var pgmajfault: UInt64?
    public var workingsetRefaultFile: UInt64?
    public var pgscanDirect: UInt64?

    // v2 only.
    public var cpuPressure: Pressure?
    public var memoryPressure: Pressure?
    public var ioPressure: Pressure?
    public var io: [CgroupIOStat]?

    enum CodingKeys: String, CodingKey {
        case version, path, failcnt, pgmajfault, io
        case usageMicroseconds = "usage_usec", userMicroseconds = "user_usec", systemMicroseconds = "system_usec"
        case nrPeriods = "nr_periods", nrThrottled = "nr_throttled", throttledMicroseconds = "throttled_usec"
        case cpuQuotaCores = "cpu_quota_cores", cpuPeriodMicroseconds = "cpu_period_usec"
        case memoryCurrentBytes = "memory_current_bytes", memoryMaxBytes = "memory_max_bytes"
        case memoryHighBytes = "memory_high_bytes", memoryPeakBytes = "memory_peak_bytes"
        case eventsLow = "events_low", eventsHigh = "events_high", eventsMax = "events_max", eventsOOM = "events_oom"
        case oomKill = "oom_kill", anonBytes = "anon_bytes", fileBytes = "file_bytes"
        case fileMappedBytes = "file_mapped_bytes", workingsetRefaultFile = "workingset_refault_file"
        case pgscanDirect = "pgscan_direct", cpuPressure = "cpu_pressure", memoryPressure = "memory_pressure"
        case ioPressure = "io_pressure"
    }

    public init(version: CgroupVersion, path: String) {
        self.version = version
        self.path = path
    }
}

/// One device line of a v2 `io.stat` ("8:16 rbytes=... wbytes=... rios=... wios=...").
public struct CgroupIOStat: Sendable, Codable, Equatable {
    public var device: String
    public var readBytes: UInt64?
    public var writeBytes: UInt64?
    public var readIOs: UInt64?
    public var writeIOs: UInt64?

    enum CodingKeys: String, CodingKey {
        case device, readBytes = "rbytes", writeBytes = "wbytes", readIOs = "rios", writeIOs = "wios"
    }

    /// Parses every device line.
    public static func parse(_ text: String) -> [CgroupIOStat] {
        text.split(separator: "\n").compactMap { line in
            let tokens = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let device = tokens.first else { return nil }
            let f = KeyedText.equalsSeparated(Array(tokens.dropFirst()))
            return CgroupIOStat(
                device: String(device), readBytes: f["rbytes"].flatMap { UInt64($0) },
                writeBytes: f["wbytes"].flatMap { UInt64($0) }, readIOs: f["rios"].flatMap { UInt64($0) },
                writeIOs: f["wios"].flatMap { UInt64($0) })
        }
    }
}
