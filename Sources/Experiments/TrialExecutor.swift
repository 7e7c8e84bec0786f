import Constraints
import Foundation
import GRDB
import InferLabCore
import LlamaEngine
import LoadGen
import Logging
import ResultStore
import SystemProbe

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What happened to one trial.
struct TrialOutcome: Sendable {
    enum Status: String, Sendable { case ok, failed, cancelled }
    var status: Status
    var failure: String?
    var benchRunId: Int64?
    var summary: BenchSummary?
}

/// Runs one trial from start to teardown: constraints, engine launch in its cgroup, health,
/// warm-up and load with the probe running, then teardown, always, also on error or
/// cancellation. The trial ends as a row in `trials`, never as nothing.
struct TrialExecutor: Sendable {
    let store: ResultStore
    let runDirectory: URL
    let repositoryRoot: URL
    let inferlabExecutable: String
    let probeIntervalMs: Int
    let probeThreads: Bool
    let logger: Logger

    /// The record being built while the trial runs.
    private struct Record {
        var started = MonotonicClock.now()
        var pid: Int32?
        var exitStatus: Int32?
        var exitSignal: Int32?
        var oomKills: UInt64?
        var controls: [String: ControlOutcome] = [:]
        var cgroup: CgroupStats?
        var samples: [ProbeSample] = []
        var events: [(UInt64, String, String)] = []
    }

    func run(_ trial: Trial) async -> TrialOutcome {
        var record = Record()
        let outcome = await execute(trial, record: &record)
        save(trial, outcome: outcome, record: record)
        return outcome
    }

    private func execute(_ trial: Trial, record: inout Record) async -> TrialOutcome {
        let config = trial.config
        let engine = config.engine
        let notApplicable = "not applicable: the engine is external (no pid to constrain)"
        var modelPath: String?
        var cgroup: (any CgroupController)?
        var background: BackgroundLoad?
        var launched: EngineLauncher.Launched?
        var probeTask: Task<[ProbeSample], Never>?

        defer {
            // Teardown, in reverse order of setup, whatever happened.
            if let launched { record.pid = launched.pid }
            if let background { background.stop() }
        }
        do {
            if engine.kind != .external {
                modelPath = try DerivedModels.path(model: engine.model, quantization: engine.quantization)
            }
            // Background load runs outside the engine's cgroup: it competes for the machine.
            if config.constraints.backgroundLoad > 0 {
                let load = try BackgroundLoad.start(
                    BackgroundLoadConfiguration(
                        cpuWorkers: ProcessInfo.processInfo.activeProcessorCount,
                        loadPercent: Int(config.constraints.backgroundLoad.rounded())))
                background = load
                RunLease.current.record(load)
                for (name, outcome) in load.outcomes { record.controls["background_\(name)"] = outcome }
            }
            if let modelPath {
                switch config.constraints.start {
                case .cold: record.controls["page_cache"] = PageCache.evict(path: modelPath)
                case .warm: record.controls["page_cache"] = PageCache.prewarm(path: modelPath)
                }
            }
            let wantsCgroup =
                config.constraints.cpuQuota != nil || config.constraints.memoryMax != nil
                || config.constraints.memoryHigh != nil || config.constraints.cpus != nil
            if engine.kind == .external {
                for key in ["cpu_quota", "memory_max", "memory_high", "cpus"] {
                    record.controls[key] = .notApplied(notApplicable)
                }
            } else if wantsCgroup {
                let controller = try Cgroups.create(name: Cgroups.uniqueName(prefix: "inferlab-trial"))
                cgroup = controller
                RunLease.current.record(controller)
                if let cores = config.constraints.cpuQuota {
                    record.controls["cpu_quota"] = controller.setCPUQuota(cores: cores)
                }
                if let bytes = config.constraints.memoryMax {
                    record.controls["memory_max"] = controller.setMemoryMax(bytes: UInt64(bytes))
                }
                if let bytes = config.constraints.memoryHigh {
                    record.controls["memory_high"] = controller.setMemoryHigh(bytes: UInt64(bytes))
                }
            }
            try Task.checkCancellation()

            // The engine.
            let url: String
            var pid: Int32?
            if engine.kind == .external {
                url = engine.url ?? ""
            } else {
                let launcher = EngineLauncher(
                    inferlabExecutable: inferlabExecutable,
                    llamaServerExecutable: repositoryRoot.appendingPathComponent(".deps/llama.cpp/bin/llama-server")
                        .path,
                    logFile: runDirectory.appendingPathComponent("engine-trial-\(trial.index).log"),
                    stepLog: runDirectory.appendingPathComponent("engine-steps-trial-\(trial.index).jsonl"))
                let cpus = config.constraints.cpus.flatMap(SpecParse.cpuList)
                let running = try launcher.launch(engine, modelPath: modelPath ?? "") { pid in
                    if let cgroup { try cgroup.add(pid: pid) }
                    if let cpus { record.controls["cpus"] = CPUAffinity.apply(cpus, to: pid) }
                }
                launched = running
                RunLease.current.record(running.child, role: "engine")
                url = running.url
                pid = running.pid
                record.events.append((MonotonicClock.now(), "engine_start", "pid \(running.pid)"))
            }
            try await waitHealthy(url: url, child: launched?.child, timeoutSeconds: 120)

            // The probe samples the engine throughout warm-up and load.
            if let pid {
                let sampler = try ProbeSampler(
                    ProbeConfiguration(
                        pid: pid, cgroup: nil, filePath: modelPath, intervalMilliseconds: Double(probeIntervalMs),
                        includeThreads: probeThreads, includeSystem: true))
                probeTask = Task {
                    var samples: [ProbeSample] = []
                    for await sample in sampler.samples() {
                        samples.append(sample)
                        if Task.isCancelled { break }
                    }
                    return samples
                }
            }

            // Warm-up (never recorded) and the measured load.
            let runner = BenchRunner(
                try benchConfiguration(config.workload, url: url, engine: engine, modelPath: modelPath),
                corpus: try corpus(config.workload), toolVersion: "inferlab-run", logger: logger)
            let result: BenchResult
            do {
                result = try await runner.run(store: store)
            } catch {
                throw TrialError("load generation failed: \(error)")
            }
            try Task.checkCancellation()
            if let probeTask {
                probeTask.cancel()
                record.samples = await probeTask.value
            }
            let exitedEarly = await stop(launched, record: &record)
            launched = nil
            finish(cgroup, record: &record)
            cgroup = nil
            if let kills = record.oomKills, kills > 0 {
                return TrialOutcome(
                    status: .failed, failure: "the engine was OOM-killed (\(kills) kill(s))", benchRunId: result.runId,
                    summary: result.summary)
            }
            if exitedEarly {
                // The load ran to its end, but against an engine that died: the figures are errors.
                let failure =
                    "the engine exited during the load (\(Self.describe(record))); "
                    + "see engine-trial-\(trial.index).log"
                return TrialOutcome(
                    status: .failed, failure: failure, benchRunId: result.runId, summary: result.summary)
            }
            if result.summary.requests.completed == 0, result.summary.requests.failed > 0 {
                // Every request failed (a 400 for each, say): there is nothing to measure.
                let sample = result.records.lazy.compactMap(\.errorMessage).first.map { ": \($0.prefix(300))" } ?? ""
                return TrialOutcome(
                    status: .failed, failure: "all \(result.summary.requests.failed) requests failed\(sample)",
                    benchRunId: result.runId, summary: result.summary)
            }
            return TrialOutcome(status: .ok, benchRunId: result.runId, summary: result.summary)
        } catch {
            if let probeTask {
                probeTask.cancel()
                record.samples = await probeTask.value
            }
            let exitedEarly = await stop(launched, record: &record)
            finish(cgroup, record: &record)
            let cancelled = error is CancellationError || Task.isCancelled
            var reason = "\(error)"
            if exitedEarly { reason += "; the engine ended with \(Self.describe(record))" }
            if let kills = record.oomKills, kills > 0 {
                reason = "the engine was OOM-killed (\(kills) kill(s)); \(reason)"
            }
            return TrialOutcome(
                status: cancelled ? .cancelled : .failed, failure: cancelled ? "cancelled (Ctrl-C)" : reason)
        }
    }

    /// SIGTERM, then SIGKILL after 10 s; records the exit status. Returns whether the engine had
    /// already exited (crashed or was killed) before it was asked to stop.
    @discardableResult
    private func stop(_ launched: EngineLauncher.Launched?, record: inout Record) async -> Bool {
        guard let launched else { return false }
        record.pid = launched.pid
        let exitedEarly = launched.child.hasExited
        if exitedEarly { record.events.append((MonotonicClock.now(), "engine_exited_early", "before teardown")) }
        kill(launched.pid, SIGTERM)
        let child = launched.child
        let waiter = Task { await child.wait() }
        let killer = Task {
            try await Task.sleep(for: .seconds(10))
            kill(launched.pid, SIGKILL)
        }
        let status = await waiter.value
        killer.cancel()
        let exit = ProcessExit.fromWaitStatus(status)
        record.exitStatus = exit.status
        record.exitSignal = exit.signal
        record.events.append(
            (
                MonotonicClock.now(), "engine_exit",
                "status \(exit.status.map(String.init) ?? "-") signal \(exit.signal.map(String.init) ?? "-")"
            ))
        return exitedEarly
    }

    /// "exit status 3" or "signal 9".
    private static func describe(_ record: Record) -> String {
        if let signal = record.exitSignal { return "signal \(signal)" }
        return "exit status \(record.exitStatus.map(String.init) ?? "unknown")"
    }

    /// Reads the cgroup's final counters and removes it.
    private func finish(_ cgroup: (any CgroupController)?, record: inout Record) {
        guard let cgroup else { return }
        let stats = cgroup.stats()
        record.cgroup = stats
        record.oomKills = stats.oomKill
        if let kills = stats.oomKill, kills > 0 {
            record.events.append((MonotonicClock.now(), "oom_kill", "\(kills) OOM kill(s) in \(cgroup.path)"))
        }
        if !cgroup.removeQuietly() {
            record.events.append((MonotonicClock.now(), "cgroup_leak", "could not remove \(cgroup.path)"))
        }
    }

    private func waitHealthy(url: String, child: GatedChild?, timeoutSeconds: Double) async throws {
        guard let health = URL(string: url + "/health") else { throw TrialError("bad engine URL \(url)") }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            try Task.checkCancellation()
            // An exited child stays a zombie until teardown reaps it: kill(pid, 0) would still succeed.
            if let child, child.hasExited { throw TrialError("the engine exited before it was ready (see its log)") }
            var request = URLRequest(url: health)
            request.timeoutInterval = 2
            if let (_, response) = try? await URLSession.shared.data(for: request),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TrialError("the engine did not become healthy within \(Int(timeoutSeconds)) s")
    }

    private func corpus(_ workload: WorkloadSpec) throws -> Corpus? {
        let path =
            workload.corpus.hasPrefix("/")
            ? workload.corpus : repositoryRoot.appendingPathComponent(workload.corpus).path
        var corpus = try Corpus.load(path: path)
        if workload.promptClass != .mixed {
            corpus.entries = corpus.entries.filter { $0.class == workload.promptClass.rawValue }
            if corpus.entries.isEmpty {
                throw TrialError("the corpus has no prompts of class \(workload.promptClass.rawValue)")
            }
        }
        return corpus
    }

    private func benchConfiguration(_ workload: WorkloadSpec, url: String, engine: EngineSpec, modelPath: String?)
        throws
        -> BenchConfiguration
    {
        var bench = BenchConfiguration()
        bench.url = url
        bench.api = BenchConfiguration.API(rawValue: workload.api.rawValue) ?? .chat
        // `inferlab serve --model PATH` serves the file's name; llama-server ignores the field.
        if let modelPath {
            bench.model = URL(fileURLWithPath: modelPath).deletingPathExtension().lastPathComponent
        } else {
            bench.model = engine.model
        }
        switch workload.scenario {
        case .closed:
            bench.scenario = .closed
            bench.concurrency = workload.concurrency
        case .poisson:
            bench.scenario = .poisson
            bench.rate = workload.rate
            bench.burstiness = workload.burstiness ?? 1
            bench.maxConcurrency = workload.concurrency > 1 ? workload.concurrency : nil
        case .offline:
            bench.scenario = .offline
        }
        bench.requests =
            workload.durationSeconds == nil ? (workload.requests ?? WorkloadSpec.defaultRequests) : workload.requests
        bench.durationSeconds = workload.durationSeconds
        bench.warmupRequests = workload.warmup
        bench.maxTokens = workload.maxTokens
        bench.systemPrompt = workload.systemPrompt
        bench.temperature = workload.sampler == .greedy ? 0 : workload.temperature
        bench.seed = workload.seed
        bench.timeoutSeconds = workload.timeoutSeconds
        try bench.validate()
        return bench
    }

    private func save(_ trial: Trial, outcome: TrialOutcome, record: Record) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json(_ value: some Encodable) -> String {
            (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        let ended = MonotonicClock.now()
        let samples = record.samples.map { ($0.tNs, json($0)) }
        let events = record.events
        let row: [String: (any DatabaseValueConvertible)?] = [
            "idx": trial.index, "level": trial.level, "repetition": trial.repetition, "label": trial.label,
            "settings_json": json(trial.settings), "config_json": json(trial.config), "status": outcome.status.rawValue,
            "failure": outcome.failure, "bench_run_id": outcome.benchRunId,
            "started_ns": Int64(bitPattern: record.started),
            "ended_ns": Int64(bitPattern: ended), "engine_pid": record.pid.map { Int64($0) },
            "engine_exit_status": record.exitStatus.map { Int64($0) },
            "engine_signal": record.exitSignal.map { Int64($0) },
            "oom_kills": record.oomKills.map { Int64($0) }, "controls_json": json(record.controls),
            "cgroup_json": record.cgroup.map { json($0) }, "summary_json": outcome.summary.map { json($0) },
        ]
        let index = trial.index
        let columns = row.keys.sorted()
        let values: [DatabaseValue] = columns.map { (row[$0] ?? nil)?.databaseValue ?? .null }
        do {
            try store.write { db in
                try db.execute(sql: "DELETE FROM probe_samples WHERE trial_idx = ?", arguments: [index])
                try db.execute(sql: "DELETE FROM trials WHERE idx = ?", arguments: [index])
                try db.execute(
                    sql:
                        "INSERT INTO trials (\(columns.joined(separator: ","))) VALUES (\(columns.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(values))
                for (time, sample) in samples {
                    try db.execute(
                        sql: "INSERT INTO probe_samples (trial_idx, t_ns, sample_json) VALUES (?, ?, ?)",
                        arguments: [index, Int64(bitPattern: time), sample])
                }
                for (time, kind, detail) in events {
                    try db.execute(
                        sql: "INSERT INTO run_events (trial_idx, t_ns, kind, detail) VALUES (?, ?, ?, ?)",
                        arguments: [index, Int64(bitPattern: time), kind, detail])
                }
            }
        } catch {
            logger.error("cannot record trial \(index): \(error)")
        }
    }
}

/// A trial-level failure with its reason.
struct TrialError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
