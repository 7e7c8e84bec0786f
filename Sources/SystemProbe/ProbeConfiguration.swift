/// What a `ProbeSampler` reads and how often.
public struct ProbeConfiguration: Sendable, Codable, Equatable {
    /// The process to sample; `nil` samples only the system, the cgroup and the file.
    /// The default is `nil`.
    public var pid: Int32? = nil
    /// The cgroup to sample: an absolute directory under a cgroup mount, or a path inside the
    /// hierarchy ("/inferlab-1"), or "none". `nil` follows the process's own cgroup.
    /// The default is `nil`.
    public var cgroup: String? = nil
    /// A file (the model) whose page-cache residency is sampled with mincore. The default is `nil`.
    public var filePath: String? = nil
    /// Milliseconds between samples, at least 10. The default is 100.
    public var intervalMilliseconds: Double = 100
    /// Seconds to sample; `nil` samples until the process exits or the stream is dropped.
    /// The default is `nil`.
    public var durationSeconds: Double? = nil
    /// The file's residency is measured at most this often, in milliseconds; samples in between
    /// repeat the last measurement. `mincore` looks every page of the file up in the page cache
    /// (~2 ms of CPU per measurement for a 100 MB model), while residency changes over seconds.
    /// 0 measures at every sample; otherwise the interval also grows to 100 times the CPU cost of
    /// one measurement (a multi-GB model). The default is 1000.
    public var residencyIntervalMilliseconds: Double = 1000
    /// The slowly changing readings are taken at most this often, in milliseconds: the process's
    /// `status` (RSS, context switches) and `io`, each thread (`task/<tid>/stat` and `schedstat`),
    /// the system files (`/proc/vmstat`, `/proc/stat`, PSI, `/proc/diskstats`) and the cgroup's
    /// memory, limit and pressure files; the process's run and run-queue wait times are its
    /// threads' schedstat summed. Every sample reads the process's `stat` (faults, CPU ticks,
    /// threads) and the cgroup's CPU counters (usage, throttling). Only the samples that take the
    /// slow readings carry them (with their rates over the slow interval); the samples in between
    /// carry the fast fields alone. With
    /// the default sampling interval every sample takes every reading; at 10 ms this keeps the
    /// probe's own CPU cost (and its output) down. 0 reads everything at every sample. The
    /// default is 100.
    public var slowIntervalMilliseconds: Double = 100
    /// Whether each thread (`task/<tid>/stat`, `schedstat`) is sampled. The default is `true`.
    public var includeThreads: Bool = true
    /// Whether vmstat, /proc/stat, PSI and diskstats are sampled. The default is `true`.
    public var includeSystem: Bool = true

    enum CodingKeys: String, CodingKey {
        case pid, cgroup
        case filePath = "file_path", intervalMilliseconds = "interval_ms", durationSeconds = "duration_s"
        case includeThreads = "include_threads", includeSystem = "include_system"
        case residencyIntervalMilliseconds = "residency_interval_ms", slowIntervalMilliseconds = "slow_interval_ms"
    }

    public init(
        pid: Int32? = nil, cgroup: String? = nil, filePath: String? = nil, intervalMilliseconds: Double = 100,
        durationSeconds: Double? = nil, includeThreads: Bool = true, includeSystem: Bool = true,
        residencyIntervalMilliseconds: Double = 1000, slowIntervalMilliseconds: Double = 100
    ) {
        self.slowIntervalMilliseconds = slowIntervalMilliseconds
        self.residencyIntervalMilliseconds = residencyIntervalMilliseconds
        self.pid = pid
        self.cgroup = cgroup
        self.filePath = filePath
        self.intervalMilliseconds = intervalMilliseconds
        self.durationSeconds = durationSeconds
        self.includeThreads = includeThreads
        self.includeSystem = includeSystem
    }

    /// Decodes a configuration; absent keys take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        cgroup = try c.decodeIfPresent(String.self, forKey: .cgroup)
        filePath = try c.decodeIfPresent(String.self, forKey: .filePath)
        intervalMilliseconds = try c.decodeIfPresent(Double.self, forKey: .intervalMilliseconds) ?? 100
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
        includeThreads = try c.decodeIfPresent(Bool.self, forKey: .includeThreads) ?? true
        includeSystem = try c.decodeIfPresent(Bool.self, forKey: .includeSystem) ?? true
        residencyIntervalMilliseconds =
            try c.decodeIfPresent(Double.self, forKey: .residencyIntervalMilliseconds) ?? 1000
        slowIntervalMilliseconds = try c.decodeIfPresent(Double.self, forKey: .slowIntervalMilliseconds) ?? 100
    }

    /// Checks every field; the error names the bad one.
    public func validate() throws {
        if let pid, pid <= 0 {
            throw ProbeError(.invalidConfiguration, "pid must be a positive process id, got \(pid)")
        }
        guard intervalMilliseconds.isFinite, intervalMilliseconds >= 10 else {
            throw ProbeError(.invalidConfiguration, "interval_ms must be at least 10 ms, got \(intervalMilliseconds)")
        }
        if let durationSeconds, !(durationSeconds.isFinite && durationSeconds > 0) {
            throw ProbeError(
                .invalidConfiguration, "duration_s must be a positive number of seconds, got \(durationSeconds)")
        }
        guard residencyIntervalMilliseconds.isFinite, residencyIntervalMilliseconds >= 0 else {
            throw ProbeError(
                .invalidConfiguration,
                "residency_interval_ms must be 0 (every sample) or a positive number of ms, got \(residencyIntervalMilliseconds)"
            )
        }
        guard slowIntervalMilliseconds.isFinite, slowIntervalMilliseconds >= 0 else {
            throw ProbeError(
                .invalidConfiguration,
                "slow_interval_ms must be 0 (every sample) or a positive number of ms, got \(slowIntervalMilliseconds)")
        }
        if let cgroup, cgroup.isEmpty { throw ProbeError(.invalidConfiguration, "cgroup must not be empty") }
        if let filePath, filePath.isEmpty { throw ProbeError(.invalidConfiguration, "file_path must not be empty") }
    }
}
