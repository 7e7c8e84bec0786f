import Foundation
import Analysis
import GRDB
import ResultStore

/// A finished (or partial) run as read back from its SQLite file: what the report is built from,
/// so the report's tables always match the data.
struct RunData: Sendable {
    struct TrialRow: Sendable {
        var index: Int
        var level: Int
        var repetition: Int
        var label: String
        var settings: [(String, String)]
        var status: String
        var failure: String?
        var benchRunId: Int64?
        var startedNs: Int64
        var endedNs: Int64
        var cgroupThrottledUsec: Double?
        var tokensPerSecond: Double?
        /// Per-request metrics of the measured window (warm-up excluded by the bench).
        var ttft: [Double] = []
        var tpot: [Double] = []
        var e2e: [Double] = []
        var itl: [Double] = []
        /// (token position, gap in ms) of every inter-token gap, for latency vs position.
        var itlByPosition: [(Int, Double)] = []
        var requestStarts: [(Double, Double)] = []
        var requests = 0
        var errors: [String: Int] = [:]
        /// Probe samples as JSON objects (snake_case keys of `ProbeSample`).
        var samples: [[String: Double]] = []
        /// The machine's online CPUs (from the run's provenance).
        var onlineCPUs: Double = 2
    }

    var name: String
    var specYAML: String
    var specJSON: String
    var provenance: [String: String]
    var startedAt: String
    var finishedAt: String?
    var status: String
    var trials: [TrialRow]
    var events: [(Int?, String, String)]

    static func load(_ path: String) throws -> RunData {
        let store = try ResultStore(path: path, migrator: RunSchema.migrator())
        return try store.read { db in try load(db) }
    }

    private static func load(_ db: Database) throws -> RunData {
        guard let experiment = try Row.fetchOne(db, sql: "SELECT * FROM experiment WHERE id = 1") else {
            throw RunError("this results file holds no experiment run")
        }
        let provenanceText: String = experiment["provenance_json"]
        let provenance =
            (try? JSONSerialization.jsonObject(with: Data(provenanceText.utf8)) as? [String: String]) ?? [:]
        var trials: [TrialRow] = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM trials ORDER BY idx") {
            let settingsText: String = row["settings_json"]
            let settings =
                ((try? JSONSerialization.jsonObject(with: Data(settingsText.utf8))) as? [[String: Any]] ?? [])
                .map { setting -> (String, String) in
                    // A matrix value is stored as {"type": ..., "value": ...}.
                    let value = (setting["value"] as? [String: Any])?["value"] ?? setting["value"] ?? ""
                    return ("\(setting["variable"] ?? "")", "\(value)")
                }
            var trial = TrialRow(
                index: row["idx"], level: row["level"], repetition: row["repetition"], label: row["label"],
                settings: settings, status: row["status"], failure: row["failure"], benchRunId: row["bench_run_id"],
                startedNs: row["started_ns"], endedNs: row["ended_ns"])
            if let cgroup: String = row["cgroup_json"],
                let object = try? JSONSerialization.jsonObject(with: Data(cgroup.utf8)) as? [String: Any]
            {
                trial.cgroupThrottledUsec = (object["throttled_usec"] ?? object["throttledMicroseconds"]) as? Double
            }
            if let summary: String = row["summary_json"],
                let object = try? JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any]
            {
                trial.tokensPerSecond = object["output_tokens_per_s"] as? Double
            }
            if let run = trial.benchRunId {
                let requests = try Row.fetchAll(
                    db,
                    sql:
                        "SELECT id, ttft_ms, tpot_ms, e2e_ms, error_class, sent_ns FROM requests WHERE run_id = ? AND step >= 0",
                    arguments: [run])
                trial.requests = requests.count
                for request in requests {
                    if let error: String = request["error_class"] {
                        trial.errors[error, default: 0] += 1
                        continue
                    }
                    if let value: Double = request["ttft_ms"] { trial.ttft.append(value) }
                    if let value: Double = request["tpot_ms"] { trial.tpot.append(value) }
                    if let value: Double = request["e2e_ms"] {
                        trial.e2e.append(value)
                        let sent: Int64 = request["sent_ns"]
                        trial.requestStarts.append((Double(sent - trial.startedNs) / 1e9, value))
                    }
                    let id: Int64 = request["id"]
                    let times = try Int64.fetchAll(
                        db, sql: "SELECT t_ns FROM events WHERE request_id = ? AND kind = 'content' ORDER BY idx",
                        arguments: [id])
                    for (position, pair) in zip(times, times.dropFirst()).enumerated() {
                        let gap = Double(pair.1 - pair.0) / 1e6
                        trial.itl.append(gap)
                        trial.itlByPosition.append((position + 1, gap))
                    }
                }
            }
            for text in try String.fetchAll(
                db, sql: "SELECT sample_json FROM probe_samples WHERE trial_idx = ? ORDER BY t_ns",
                arguments: [trial.index])
            {
                if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                    trial.samples.append(object.compactMapValues { ($0 as? NSNumber)?.doubleValue })
                }
            }
            trial.onlineCPUs =
                provenance["cpus_online"].flatMap(Double.init) ?? Double(ProcessInfo.processInfo.activeProcessorCount)
            trials.append(trial)
        }
        let events = try Row.fetchAll(db, sql: "SELECT trial_idx, kind, detail FROM run_events ORDER BY t_ns").map {
            (($0["trial_idx"] as Int?), ($0["kind"] as String), ($0["detail"] as String))
        }
        return RunData(
            name: experiment["name"], specYAML: experiment["spec_yaml"], specJSON: experiment["spec_json"],
            provenance: provenance, startedAt: experiment["started_at"], finishedAt: experiment["finished_at"],
            status: experiment["status"], trials: trials, events: events)
    }
}

extension RunData.TrialRow {
    /// A metric of this trial by evidence name (`cgroup.cpu.throttled_usec`, `psi.io.some_total`,
    /// `process.majflt`, `vmstat.pgmajfault`, ...): counters as their change over the trial,
    /// gauges (RSS, residency, memory peak) as their maximum.
    func mechanism(_ name: String) -> Double? {
        if name == "cgroup.cpu.throttled_usec", let value = cgroupThrottledUsec { return value }
        if name == "system.other_cpu_cores" { return otherCPUCores(cpus: onlineCPUs) }
        guard let key = Self.probeKey(name) else { return nil }
        let values = samples.compactMap { $0[key] }
        guard let first = values.first, let last = values.last else { return nil }
        if Self.gauges.contains(key) { return values.max() }
        // Rates and shares: their mean over the trial.
        if key.hasSuffix("_per_s") || key.hasSuffix("_cores") || key.hasSuffix("_fraction") {
            return values.reduce(0, +) / Double(values.count)
        }
        return last - first
    }

    /// The CPU other programs used during the trial, in cores (`system.other_cpu_cores`): the
    /// machine's user-mode CPU (mean of `sys_cpu_user_fraction` times the CPU count) less the
    /// engine's own (`utime_ms` over the same span). It is the control for "another program took
    /// the CPU". Kernel work is left out on purpose: reclaim and I/O done for the engine's cgroup
    /// are the paging mechanism, not an alternative to it; and PSI `cpu.some` is no such control
    /// either, since it counts the engine's own runnable threads.
    func otherCPUCores(cpus: Double) -> Double? {
        let slow = samples.filter { $0["sys_cpu_user_fraction"] != nil && $0["utime_ms"] != nil && $0["t_ns"] != nil }
        guard slow.count >= 3, let first = slow.first, let last = slow.last else { return nil }
        let fractions = slow.dropFirst().compactMap { $0["sys_cpu_user_fraction"] }
        let spanMs = (last["t_ns"]! - first["t_ns"]!) / 1e6
        guard spanMs > 0, let userFraction = Statistics.mean(fractions) else { return nil }
        let engine = (last["utime_ms"]! - first["utime_ms"]!) / spanMs
        return max(0, userFraction * cpus - engine)
    }

    /// The smallest value of one sample key (samples without it skipped), e.g. the model file's
    /// lowest residency; `mechanism` gives gauges' largest.
    func sampleMinimum(_ key: String) -> Double? { samples.compactMap { $0[key] }.min() }

    /// A pressure stall counter (`psi.io.some_total`) as the percentage of the sampled time stalled.
    func stallPercent(_ name: String) -> Double? {
        guard let key = Self.probeKey(name) else { return nil }
        let pairs = samples.compactMap { sample in sample[key].flatMap { value in sample["t_ns"].map { ($0, value) } } }
        guard let first = pairs.first, let last = pairs.last, last.0 > first.0 else { return nil }
        return max(0, last.1 - first.1) / ((last.0 - first.0) / 1000) * 100
    }

    static let gauges: Set<String> = [
        "rss_bytes", "hwm_bytes", "rss_anon_bytes", "rss_file_bytes", "locked_bytes", "swap_bytes", "num_threads",
        "cg_memory_current_bytes", "cg_memory_peak_bytes", "file_resident_fraction", "cg_anon_bytes", "cg_file_bytes",
    ]

    /// Maps an evidence name to a probe sample key.
    static func probeKey(_ name: String) -> String? {
        let parts = name.split(separator: ".").map(String.init)
        guard parts.count >= 2 else { return nil }
        let rest = parts.dropFirst().joined(separator: "_")
        switch parts[0] {
        case "cgroup":
            let field = parts.dropFirst(2).joined(separator: "_")
            let map = [
                "throttled_usec": "cg_throttled_usec", "nr_throttled": "cg_nr_throttled", "nr_periods": "cg_nr_periods",
                "usage_usec": "cg_usage_usec", "oom_kill": "cg_oom_kill", "failcnt": "cg_failcnt",
                "pgmajfault": "cg_pgmajfault", "workingset_refault_file": "cg_workingset_refault_file",
                "peak": "cg_memory_peak_bytes", "current": "cg_memory_current_bytes", "max_events": "cg_events_max",
                "high_events": "cg_events_high",
            ]
            return map[field] ?? "cg_\(field)"
        case "psi":
            return "psi_\(rest)" + (rest.hasSuffix("_total") ? "_us" : "")
        case "process", "thread":
            let map = [
                "ctxsw": "voluntary_ctxt_switches", "voluntary_ctxsw": "voluntary_ctxt_switches",
                "nonvoluntary_ctxsw": "nonvoluntary_ctxt_switches", "rss": "rss_bytes",
                "runqueue_wait": "runqueue_wait_ns",
            ]
            return map[rest] ?? rest
        case "system", "vmstat":
            return "sys_\(rest)"
        case "disk":
            return "disk_\(rest)"
        case "file":
            return "file_\(rest)"
        default:
            return nil
        }
    }
}
