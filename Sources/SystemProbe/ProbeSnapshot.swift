public import InferLabCore

/// The raw readings of one sampling instant, before rates are derived.
public struct ProbeSnapshot: Sendable {
    /// One thread's readings.
    public struct Thread: Sendable {
        public var stat: ProcessStat
        public var sched: SchedStat?

        public init(stat: ProcessStat, sched: SchedStat?) {
            self.stat = stat
            self.sched = sched
        }
    }

    public var time: MonotonicInstant
    public var pid: Int32?
    public var stat: ProcessStat?
    public var status: ProcessStatus?
    public var sched: SchedStat?
    public var io: ProcessIO?
    public var threads: [Thread]?
    public var vmstat: VMStat?
    public var cpu: CPUTimes?
    public var pressureCPU: Pressure?
    public var pressureMemory: Pressure?
    public var pressureIO: Pressure?
    /// Whole disks summed.
    public var disk: DiskStat?
    public var diskCount: Int = 0
    public var cgroup: CgroupStats?
    public var filePath: String?
    public var fileResidentFraction: Double?
    /// Whether the slow readings (status, io, system, cgroup memory; see
    /// `ProbeConfiguration.slowIntervalMilliseconds`) were taken now rather than repeated.
    public var slowFresh: Bool = true

    public init(time: MonotonicInstant) {
        self.time = time
    }
}

/// One thread of the sampled process (`/proc/<pid>/task/<tid>`), so that a straggler at
/// llama.cpp's barriers shows.
public struct ThreadSample: Sendable, Codable, Equatable {
    public var tid: Int32
    public var comm: String
    public var state: String
    public var processor: Int?
    /// User + system CPU time, cumulative, in ms.
    public var cpuMilliseconds: Double
    public var runNanoseconds: UInt64?
    public var waitNanoseconds: UInt64?
    /// CPU cores used by this thread over the interval.
    public var cpuCores: Double?
    /// Run-queue wait per second of wall time.
    public var waitMillisecondsPerSecond: Double?

    enum CodingKeys: String, CodingKey {
        case tid, comm, state, processor
        case cpuMilliseconds = "cpu_ms", runNanoseconds = "run_ns", waitNanoseconds = "runqueue_wait_ns"
        case cpuCores = "cpu_cores", waitMillisecondsPerSecond = "runqueue_wait_ms_per_s"
    }
}
