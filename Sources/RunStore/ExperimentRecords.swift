public import ExperimentFile
public import GRDB
public import InferLabCore
public import InferenceCore
public import LoadGen
public import SystemProbe

/// How a run ended (or that it has not): the `experiment` row's `status`.
public enum RunStatus: String, Sendable, Codable, DatabaseValueConvertible {
    case running, complete, cancelled
}

/// How a trial ended: every trial ends as one of these, never as nothing.
public enum TrialStatus: String, Sendable, Codable, DatabaseValueConvertible {
    case ok, failed, cancelled

    /// Whether the trial has ended for `--resume` (a cancelled trial runs again).
    public var isFinal: Bool { self != .cancelled }
}

/// The `experiment` row: one per run file.
public struct ExperimentRecord: Sendable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "experiment"
    public var id: Int64 = 1
    public var name: String
    /// The file as the user wrote it.
    public var specYAML: String
    /// The resolved experiment (defaults filled in), for provenance.
    public var specJSON: String
    /// Where the run came from: code, llama.cpp, model digests, machine.
    public var provenance: [String: String]
    public var startedAt: String
    public var finishedAt: String?
    public var status: RunStatus

    enum CodingKeys: String, CodingKey {
        case id, name, status
        case specYAML = "spec_yaml"
        case specJSON = "spec_json"
        case provenance = "provenance_json"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public init(
        name: String, specYAML: String, specJSON: String, provenance: [String: String], startedAt: String,
        status: RunStatus
    ) {
        self.name = name
        self.specYAML = specYAML
        self.specJSON = specJSON
        self.provenance = provenance
        self.startedAt = startedAt
        self.status = status
    }
}

/// A `trials` row: one run of one level at one repetition, finished, failed or cancelled.
public struct TrialRecord: Sendable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trials"
    public var index: Int
    public var level: Int
    public var repetition: Int
    public var label: String
    public var settings: [Setting]
    public var config: TrialConfig
    public var status: TrialStatus
    public var failure: String?
    /// The bench run (`runs` row) of the trial's measured load, when it got that far.
    public var benchRunId: Int64?
    /// Monotonic ns, the clock of the requests, samples and steps.
    public var startedNs: Int64
    public var endedNs: Int64
    public var enginePid: Int64?
    public var engineExitStatus: Int64?
    public var engineSignal: Int64?
    public var oomKills: Int64?
    /// The trial cgroup's counters read just before it was removed.
    public var cgroup: CgroupStats?
    /// The measured window's summary.
    public var summary: BenchSummary?

    enum CodingKeys: String, CodingKey {
        case index = "idx"
        case level, repetition, label, status, failure
        case settings = "settings_json"
        case config = "config_json"
        case benchRunId = "bench_run_id"
        case startedNs = "started_ns"
        case endedNs = "ended_ns"
        case enginePid = "engine_pid"
        case engineExitStatus = "engine_exit_status"
        case engineSignal = "engine_signal"
        case oomKills = "oom_kills"
        case cgroup = "cgroup_json"
        case summary = "summary_json"
    }

    public init(
        trial: Trial, status: TrialStatus, failure: String?, benchRunId: Int64?, startedNs: Int64, endedNs: Int64
    ) {
        index = trial.index
        level = trial.level
        repetition = trial.repetition
        label = trial.label
        settings = trial.settings
        config = trial.config
        self.status = status
        self.failure = failure
        self.benchRunId = benchRunId
        self.startedNs = startedNs
        self.endedNs = endedNs
    }
}

/// A `constraint_outcomes` row: whether one control of a trial took effect, and why (not).
public struct ConstraintOutcomeRecord: Sendable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "constraint_outcomes"
    public var trialIndex: Int
    /// `cpu_quota`, `memory_max`, `page_cache`, `background_cpu`, ...
    public var name: String
    public var applied: Bool
    public var value: String?
    public var reason: String
    public var residencyBefore: Double?
    public var residencyAfter: Double?

    enum CodingKeys: String, CodingKey {
        case trialIndex = "trial_idx"
        case name, applied, value, reason
        case residencyBefore = "residency_before"
        case residencyAfter = "residency_after"
    }

    public init(
        trialIndex: Int, name: String, applied: Bool, value: String?, reason: String, residencyBefore: Double?,
        residencyAfter: Double?
    ) {
        self.trialIndex = trialIndex
        self.name = name
        self.applied = applied
        self.value = value
        self.reason = reason
        self.residencyBefore = residencyBefore
        self.residencyAfter = residencyAfter
    }
}

/// A `probe_samples` row: one reading of the engine process, its cgroup and the system.
public struct ProbeSampleRecord: Sendable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "probe_samples"
    public var trialIndex: Int
    public var tNs: Int64
    public var sample: ProbeSample

    enum CodingKeys: String, CodingKey {
        case trialIndex = "trial_idx"
        case tNs = "t_ns"
        case sample = "sample_json"
    }

    public init(trialIndex: Int, sample: ProbeSample) {
        self.trialIndex = trialIndex
        tNs = sample.time.column
        self.sample = sample
    }
}

/// An `engine_steps` row: one `llama_decode` step of a trial's InferLab engine, as the engine
/// recorded it (`serve --step-log`, imported after the trial; the JSONL file stays as the raw
/// form). Its columns are `StepRecord`'s own coding keys, beside the trial's index.
public struct EngineStepRecord: Sendable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "engine_steps"
    public var trialIndex: Int
    public var step: StepRecord

    enum CodingKeys: String, CodingKey {
        case trialIndex = "trial_idx"
    }

    public init(trialIndex: Int, step: StepRecord) {
        self.trialIndex = trialIndex
        self.step = step
    }

    public init(from decoder: any Decoder) throws {
        trialIndex = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .trialIndex)
        step = try StepRecord(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(trialIndex, forKey: .trialIndex)
        try step.encode(to: encoder)
    }
}

/// A trial's profile (`probe: {profile: ...}`): the folded on-CPU stacks and the scheduler's
/// view (`sched.json`), kept as the texts `inferlab profile` writes, so the store needs no
/// profiling types.
public struct ProfileRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trial_profiles"
    public var trialIndex: Int
    public var hz: Int
    public var callGraph: String
    public var samples: Int
    /// `frame;frame;frame COUNT` lines; empty when perf could not run (see `failure`).
    public var folded: String
    /// The `sched.json` text; `nil` when the trace was not asked for.
    public var sched: String?
    /// Why perf could not profile the trial, when it could not.
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case hz, samples, folded, sched, failure
        case trialIndex = "trial_idx"
        case callGraph = "call_graph"
    }

    public init(
        trialIndex: Int, hz: Int, callGraph: String, samples: Int, folded: String, sched: String?,
        failure: String? = nil
    ) {
        self.trialIndex = trialIndex
        self.hz = hz
        self.callGraph = callGraph
        self.samples = samples
        self.folded = folded
        self.sched = sched
        self.failure = failure
    }
}

/// A trial's page-cache trace (`probe: {page_trace: true}`): the summary and the per-layer series
/// as the JSON `inferlab probe --page-trace` prints, and the disk's measured ceiling, kept as
/// texts so the store needs no profiling types.
public struct PageTraceRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trial_page_traces"
    public var trialIndex: Int
    /// `PageTraceSummary` JSON; empty when the trace could not run (see `failure`).
    public var summary: String
    /// `PageTraceSeries` JSON.
    public var series: String?
    /// `DiskCeiling` JSON of the model's disk.
    public var diskCeiling: String?
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case summary, series, failure
        case trialIndex = "trial_idx"
        case diskCeiling = "disk_ceiling"
    }

    public init(trialIndex: Int, summary: String, series: String?, diskCeiling: String?, failure: String? = nil) {
        self.trialIndex = trialIndex
        self.summary = summary
        self.series = series
        self.diskCeiling = diskCeiling
        self.failure = failure
    }
}

/// What a notable run event is. A string underneath so later tools can add kinds.
public struct RunEventKind: RawRepresentable, Hashable, Sendable, Codable, DatabaseValueConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let engineStart = RunEventKind(rawValue: "engine_start")
    public static let engineExitedEarly = RunEventKind(rawValue: "engine_exited_early")
    public static let engineExit = RunEventKind(rawValue: "engine_exit")
    public static let oomKill = RunEventKind(rawValue: "oom_kill")
    public static let cgroupLeak = RunEventKind(rawValue: "cgroup_leak")
    public static let memoryLock = RunEventKind(rawValue: "memory_lock")
    public static let systemPrepare = RunEventKind(rawValue: "system_prepare")
    public static let systemRestore = RunEventKind(rawValue: "system_restore")
    public static let systemBefore = RunEventKind(rawValue: "system_before")
    public static let systemAfter = RunEventKind(rawValue: "system_after")

    /// System preparation events, shown in the report's provenance.
    public var isSystem: Bool { rawValue.hasPrefix("system_") }
}

/// A `run_events` row: an OOM kill, an engine exit, the system preparation.
public struct RunEventRecord: Sendable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run_events"
    /// The trial, or `nil` for the run.
    public var trialIndex: Int?
    public var tNs: Int64
    public var kind: RunEventKind
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case trialIndex = "trial_idx"
        case tNs = "t_ns"
        case kind, detail
    }

    public init(trialIndex: Int?, time: MonotonicInstant, kind: RunEventKind, detail: String) {
        self.trialIndex = trialIndex
        tNs = time.column
        self.kind = kind
        self.detail = detail
    }
}
