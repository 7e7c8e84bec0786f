public import SystemProbe

/// The controls `inferlab exec` (and an experiment trial) applies to one command.
public struct ExecOptions: Sendable, Codable, Equatable {
    /// The command and its arguments (looked up on PATH). Required.
    public var command: [String]
    /// CPU quota in cores (0.5 = half a CPU). The default is `nil` (unlimited).
    public var cpuQuotaCores: Double? = nil
    /// Hard memory limit in bytes (v2 memory.max, v1 memory.limit_in_bytes). The default is `nil`.
    public var memoryMaxBytes: UInt64? = nil
    /// Throttling memory limit in bytes (v2 memory.high; not available on v1). The default is `nil`.
    public var memoryHighBytes: UInt64? = nil
    /// CPUs to run on: affinity of the process (and cpuset when available). The default is `nil`.
    public var cpus: [Int]? = nil
    /// A file to evict from the page cache before the command starts. The default is `nil`.
    public var coldCacheFile: String? = nil
    /// A file to pre-warm into the page cache before the command starts. The default is `nil`.
    public var warmCacheFile: String? = nil
    /// Whether to create a cgroup even without cgroup controls, to report the command's
    /// CPU and memory counters. The default is `true`.
    public var collectCgroupStats: Bool = true

    enum CodingKeys: String, CodingKey {
        case command, cpus
        case cpuQuotaCores = "cpu_quota_cores", memoryMaxBytes = "memory_max_bytes"
        case memoryHighBytes = "memory_high_bytes", coldCacheFile = "cold_cache_file"
        case warmCacheFile = "warm_cache_file", collectCgroupStats = "collect_cgroup_stats"
    }

    public init(
        command: [String], cpuQuotaCores: Double? = nil, memoryMaxBytes: UInt64? = nil, memoryHighBytes: UInt64? = nil,
        cpus: [Int]? = nil, coldCacheFile: String? = nil, warmCacheFile: String? = nil, collectCgroupStats: Bool = true
    ) {
        self.command = command
        self.cpuQuotaCores = cpuQuotaCores
        self.memoryMaxBytes = memoryMaxBytes
        self.memoryHighBytes = memoryHighBytes
        self.cpus = cpus
        self.coldCacheFile = coldCacheFile
        self.warmCacheFile = warmCacheFile
        self.collectCgroupStats = collectCgroupStats
    }

    /// Checks every field; the error names the bad one.
    public func validate() throws {
        guard let first = command.first, !first.isEmpty else {
            throw ConstraintError(.invalidConfiguration, "command is empty: give the command after --")
        }
        if let cores = cpuQuotaCores, !(cores.isFinite && cores >= 0.01 && cores <= 1024) {
            throw ConstraintError(
                .invalidConfiguration, "cpu_quota_cores must be between 0.01 and 1024 cores, got \(cores)")
        }
        if let bytes = memoryMaxBytes, bytes < 1 << 20 {
            throw ConstraintError(.invalidConfiguration, "memory_max_bytes must be at least 1 MiB, got \(bytes)")
        }
        if let bytes = memoryHighBytes, bytes < 1 << 20 {
            throw ConstraintError(.invalidConfiguration, "memory_high_bytes must be at least 1 MiB, got \(bytes)")
        }
        if let cpus, cpus.isEmpty || cpus.contains(where: { $0 < 0 || $0 > 4095 }) {
            throw ConstraintError(.invalidConfiguration, "cpus must be a non-empty list of CPU numbers, got \(cpus)")
        }
        if coldCacheFile != nil && coldCacheFile == warmCacheFile {
            throw ConstraintError(.invalidConfiguration, "cold_cache_file and warm_cache_file name the same file")
        }
    }

    /// Whether any control needs a cgroup.
    public var needsCgroup: Bool {
        cpuQuotaCores != nil || memoryMaxBytes != nil || memoryHighBytes != nil || collectCgroupStats
    }
}

/// What happened to a command run under controls; the JSON of `inferlab exec --json`.
public struct ExecResult: Sendable, Codable, Equatable {
    /// CPU counters of the command's cgroup at exit.
    public struct CPU: Sendable, Codable, Equatable {
        public var usageUsec: UInt64?
        public var nrPeriods: UInt64?
        public var nrThrottled: UInt64?
        public var throttledUsec: UInt64?

        enum CodingKeys: String, CodingKey {
            case usageUsec = "usage_usec", nrPeriods = "nr_periods", nrThrottled = "nr_throttled"
            case throttledUsec = "throttled_usec"
        }
    }

    /// Memory counters of the command's cgroup at exit.
    public struct Memory: Sendable, Codable, Equatable {
        public var peakBytes: UInt64?
        public var oomKill: UInt64?
        /// v1: times the limit was hit.
        public var failcnt: UInt64?
        /// v2: memory.events max.
        public var maxEvents: UInt64?

        enum CodingKeys: String, CodingKey {
            case peakBytes = "peak_bytes", oomKill = "oom_kill", failcnt, maxEvents = "max_events"
        }
    }

    /// The exit code when the command exited (127: not found, 125: could not start).
    public var exitStatus: Int32?
    /// The signal that killed it (9 for an OOM kill).
    public var signal: Int32?
    /// "v1" or "v2"; absent when no cgroup could be made.
    public var cgroupVersion: CgroupVersion?
    public var cgroupPath: String?
    /// Each control asked for: applied or not, and why.
    public var controls: [String: ControlOutcome]
    public var cpu: CPU
    public var memory: Memory
    /// Wall time from start to exit.
    public var wallMs: Double
    /// The command's pid.
    public var pid: Int32
    /// The whole cgroup reading at exit.
    public var cgroup: CgroupStats?
    /// Whether the cgroup was removed afterwards.
    public var cgroupRemoved: Bool?

    enum CodingKeys: String, CodingKey {
        case signal, controls, cpu, memory, pid, cgroup
        case exitStatus = "exit_status", cgroupVersion = "cgroup_version", cgroupPath = "cgroup_path"
        case wallMs = "wall_ms", cgroupRemoved = "cgroup_removed"
    }
}
