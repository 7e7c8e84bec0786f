import Constraints
import ExperimentFile
import Foundation
import InferLabCore
import InferenceCore
import LoadGen
import Logging
import Profiling
import RunStore
import SystemProbe
import SystemSetup

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What happened to one trial.
struct TrialOutcome: Sendable {
    var status: TrialStatus
    var failure: String?
    var benchRunId: Int64?
    var summary: BenchSummary?
}

/// Runs one trial from start to teardown: constraints, engine launch in its cgroup, health,
/// warm-up and load with the probe running, then teardown, always, also on error or
/// cancellation. The trial ends as a row in `trials`, never as nothing.
struct TrialExecutor: Sendable {
    let store: RunStore
    let runDirectory: URL
    let repositoryRoot: URL
    let inferlabExecutable: String
    let probeIntervalMs: Int
    let probeThreads: Bool
    /// `probe: {profile: ...}`; `nil` does not profile.
    var profile: ProfileSpec? = nil
    /// `probe: {page_trace: true}`: trace the model file's page cache in each trial.
    var pageTrace = false
    /// The memory-lock limit the run's system preparation recorded (`system prepare`'s memlock),
    /// set on each launched engine before it runs; `nil` leaves the caller's limit.
    var memlock: MemlockLimit? = nil
    let logger: Logger

    /// The record being built while the trial runs.
    private struct Record {
        let trial: Int
        var started = MonotonicInstant.now()
        var pid: Int32?
        var exitStatus: Int32?
        var exitSignal: Int32?
        var oomKills: UInt64?
        var controls: [String: ControlOutcome] = [:]
        var cgroup: CgroupStats?
        var samples: [ProbeSample] = []
        var events: [RunEventRecord] = []
        /// Where the engine wrote its steps (`serve --step-log`), imported when the trial ends.
        var stepLog: URL?
        var profile: ProfileRecord?
        var pageTrace: PageTraceRecord?

        mutating func event(_ kind: RunEventKind, _ detail: String, trial: Int) {
            events.append(RunEventRecord(trialIndex: trial, time: .now(), kind: kind, detail: detail))
        }
    }

    func run(_ trial: Trial) async -> TrialOutcome {
        var record = Record(trial: trial.index)
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
        var profiler: TrialProfiler?
        var pages: TrialPageTrace?
        var locker: MemoryLocker?
        // The control is named by the setting that asked for it.
        let lockKey = config.constraints.modelOut != nil ? "model_out" : "lock_memory"

        defer {
            // Teardown, in reverse order of setup, whatever happened.
            if let launched { record.pid = launched.pid }
            locker?.stop()
            if let pages { record.pageTrace = pages.finish() }
            if let background { background.stop() }
        }
        do {
            if engine.kind != .external {
                modelPath = try DerivedModels.path(model: engine.server.model, quantization: engine.quantization)
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
                let constraints = config.constraints
                let asked: [(name: String, value: String, apply: (any CgroupController) -> ControlOutcome)] =
                    [
                        constraints.cpuQuota.map { cores in ("cpu_quota", "\(cores)", { $0.setCPUQuota(cores: cores) })
                        },
                        constraints.memoryMax.map { bytes in
                            ("memory_max", "\(bytes)", { $0.setMemoryMax(bytes: UInt64(bytes)) })
                        },
                        constraints.memoryHigh.map { bytes in
                            ("memory_high", "\(bytes)", { $0.setMemoryHigh(bytes: UInt64(bytes)) })
                        },
                    ].compactMap { $0 }
                do {
                    let controller = try Cgroups.create(name: Cgroups.uniqueName(prefix: "inferlab-trial"))
                    cgroup = controller
                    RunLease.current.record(controller)
                    for control in asked { record.controls[control.name] = control.apply(controller) }
                } catch {
                    // No cgroup (no root, nothing delegated): the trial still runs, and each control
                    // it asked for says why it is not in force.
                    for control in asked {
                        record.controls[control.name] = .notApplied("no cgroup: \(error)", value: control.value)
                    }
                }
            }
            try Task.checkCancellation()
            if pageTrace {
                if let modelPath {
                    let started = TrialPageTrace(trial: trial.index, file: modelPath, runDirectory: runDirectory)
                    record.controls["page_trace"] = started.outcome
                    pages = started
                } else {
                    record.controls["page_trace"] = .notApplied(notApplicable)
                }
            }

            // The engine.
            let url: String
            var pid: Int32?
            if engine.kind == .external {
                url = engine.url ?? ""
            } else {
                let stepLog = runDirectory.appendingPathComponent("engine-steps-trial-\(trial.index).jsonl")
                record.stepLog = engine.kind == .llamaServer ? nil : stepLog
                let launcher = EngineLauncher(
                    inferlabExecutable: inferlabExecutable,
                    llamaServerExecutable: repositoryRoot.appendingPathComponent(".deps/llama.cpp/bin/llama-server")
                        .path,
                    logFile: runDirectory.appendingPathComponent("engine-trial-\(trial.index).log"),
                    configFile: runDirectory.appendingPathComponent("engine-config-trial-\(trial.index).json"),
                    stepLog: stepLog)
                let cpus = config.constraints.cpus.flatMap(ScalarText.cpuList)
                let running = try launcher.launch(engine, modelPath: modelPath ?? "") { pid in
                    if let cgroup { try cgroup.add(pid: pid) }
                    if let cpus { record.controls["cpus"] = CPUAffinity.apply(cpus, to: pid) }
                    if let memlock {
                        let bytes: UInt64? = if case .bytes(let bytes) = memlock { bytes } else { nil }
                        record.controls["memlock"] = MemoryLock.apply(bytes: bytes, to: pid)
                    }
                }
                launched = running
                RunLease.current.record(running.child, role: "engine")
                url = running.url
                pid = running.pid
                record.event(.engineStart, "pid \(running.pid)", trial: trial.index)
            }
            let health = try await waitHealthy(url: url, child: launched?.child, timeoutSeconds: 120)
            // InferLab's engine says which attention kernel it runs and, for `auto`, what it measured.
            if let object = try? JSONSerialization.jsonObject(with: health) as? [String: Any],
                let chosen = object["flash_attn"] as? String
            {
                record.controls["flash_attn"] = .applied(
                    object["flash_attn_detail"] as? String ?? chosen, value: chosen)
            }

            // Compute threads one per CPU: ggml's workers start at the first decode (the warm-up's,
            // or the first request's), so a watcher pins them as soon as they appear.
            var pinning: Task<ControlOutcome, Never>?
            if config.constraints.pinThreads, let pid {
                if engine.kind == .inferlab || engine.kind == .generate {
                    let workers = max(1, engine.server.engine.context.threads) - 1
                    pinning = Task {
                        let allowed = CPUAffinity.allowedCPUs(of: pid) ?? []
                        let deadline = ContinuousClock.now + .seconds(60)
                        while ContinuousClock.now < deadline && !Task.isCancelled {
                            let names = ProcFS.threads(of: pid).compactMap {
                                ProcFS.read("/proc/\(pid)/task/\($0)/comm")
                            }
                            if names.filter({ $0.hasPrefix("llama-worker") }).count >= workers { break }
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                        return CPUAffinity.pinThreads(
                            of: pid, names: ["inferlab-engine", "llama-worker"], cpus: allowed)
                    }
                } else {
                    record.controls["pin_threads"] = .notApplied(
                        "only InferLab's engine names its compute threads", value: "one per CPU")
                }
            }

            // Memory pinned outside the engine, now that it holds what it allocates at start.
            if let (bytes, how, squeeze) = memoryToLock(config, modelPath: modelPath) {
                let (started, outcome) = await MemoryLocker.start(
                    executable: inferlabExecutable, bytes: bytes, squeeze: squeeze)
                locker = started
                record.controls[lockKey] = ControlOutcome(
                    applied: outcome.applied, reason: "\(how); \(outcome.reason)", value: outcome.value)
                record.event(.memoryLock, "\(how); \(outcome.reason)", trial: trial.index)
            }
            pages?.mark()

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
                if let profile {
                    let started = await TrialProfiler(
                        trial: trial.index, pid: pid, spec: profile, runDirectory: runDirectory)
                    record.controls.merge(started.outcomes) { $1 }
                    profiler = started
                }
            } else if profile != nil {
                record.controls["profile"] = .notApplied(notApplicable)
            }

            // Warm-up (never recorded) and the measured load.
            let runner = BenchRunner(
                try benchConfiguration(config.workload, url: url, engine: engine, modelPath: modelPath), logger: logger)
            let result: BenchResult
            do {
                result = try await runner.run(store: store)
            } catch {
                throw TrialError("load generation failed: \(error)")
            }
            try Task.checkCancellation()
            if let pinning {
                pinning.cancel()
                record.controls["pin_threads"] = await pinning.value
            }
            if let probeTask {
                probeTask.cancel()
                record.samples = await probeTask.value
            }
            if let running = profiler {
                profiler = nil
                record.profile = await running.finish(stepLog: record.stepLog)
            }
            if let traced = pages {
                pages = nil
                record.pageTrace = traced.finish()
            }
            if let held = locker {
                locker = nil
                if !held.isHolding {
                    // The OOM killer takes the largest process: with model_out high, the locker.
                    record.controls[lockKey]?.applied = false
                    record.controls[lockKey]?.reason += "; the locker ended during the trial (OOM-killed?)"
                    record.event(.memoryLock, "the memory locker ended during the trial", trial: trial.index)
                }
                held.stop()
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
            if let profiler { await profiler.cancel() }
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

    /// The bytes `lock_memory` or `model_out` pins for this trial, with how they were computed.
    /// A memory-mapped model is then squeezed to its share: pinned more until no more of the file
    /// is cached (what the formula cannot know: other files' cache, the kernel's slack).
    private func memoryToLock(_ config: TrialConfig, modelPath: String?)
        -> (bytes: UInt64, how: String, squeeze: (file: String, resident: Double)?)?
    {
        let constraints = config.constraints
        if let bytes = constraints.lockMemory { return (UInt64(bytes), "lock_memory \(bytes) bytes", nil) }
        guard let fraction = constraints.modelOut, let modelPath else { return nil }
        let modelBytes = UInt64((try? FileManager.default.attributesOfItem(atPath: modelPath)[.size] as? Int) ?? 0)
        let mapped = config.engine.effectiveServer.engine.model.loadMode == .mmap
        guard
            let pressure = MemoryPressure.now(
                modelOut: fraction, modelBytes: modelBytes, modelHeldBytes: mapped ? 0 : modelBytes)
        else { return nil }
        return (
            max(pressure.lockBytes, 1 << 20), "model_out \(fraction): \(pressure.formula)",
            mapped && fraction > 0 ? (modelPath, 1 - fraction) : nil
        )
    }

    /// SIGTERM, then SIGKILL after 10 s; records the exit status. Returns whether the engine had
    /// already exited (crashed or was killed) before it was asked to stop.
    @discardableResult
    private func stop(_ launched: EngineLauncher.Launched?, record: inout Record) async -> Bool {
        guard let launched else { return false }
        record.pid = launched.pid
        let exitedEarly = launched.child.hasExited
        if exitedEarly { record.event(.engineExitedEarly, "before teardown", trial: record.trial) }
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
        record.event(
            .engineExit, "status \(exit.status.map(String.init) ?? "-") signal \(exit.signal.map(String.init) ?? "-")",
            trial: record.trial)
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
            record.event(.oomKill, "\(kills) OOM kill(s) in \(cgroup.path)", trial: record.trial)
        }
        if !cgroup.removeQuietly() {
            record.event(.cgroupLeak, "could not remove \(cgroup.path)", trial: record.trial)
        }
    }

    /// Waits for `/health` to answer 200; returns its body.
    private func waitHealthy(url: String, child: GatedChild?, timeoutSeconds: Double) async throws -> Data {
        guard let health = URL(string: url + "/health") else { throw TrialError("bad engine URL \(url)") }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            try Task.checkCancellation()
            // An exited child stays a zombie until teardown reaps it: kill(pid, 0) would still succeed.
            if let child, child.hasExited { throw TrialError("the engine exited before it was ready (see its log)") }
            var request = URLRequest(url: health)
            request.timeoutInterval = 2
            if let (body, response) = try? await URLSession.shared.data(for: request),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return body
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TrialError("the engine did not become healthy within \(Int(timeoutSeconds)) s")
    }

    /// The trial's workload aimed at its engine: the engine's URL and served model name, the
    /// corpus resolved against the repository.
    private func benchConfiguration(
        _ workload: BenchConfiguration, url: String, engine: EngineSpec, modelPath: String?
    ) throws -> BenchConfiguration {
        var bench = workload
        bench.url = url
        // An engine serving a path serves the file's name (or its alias); llama-server ignores the field.
        var served = engine.server
        if let modelPath { served.model = modelPath }
        bench.model = served.servedModelName
        func resolved(_ path: String?) -> String? {
            guard let path, !path.hasPrefix("/") else { return path }
            return repositoryRoot.appendingPathComponent(path).path
        }
        bench.corpusPath = resolved(bench.corpusPath)
        bench.datasetPath = resolved(bench.datasetPath)
        bench.tracePath = resolved(bench.tracePath)
        try bench.validate()
        return bench
    }

    private func save(_ trial: Trial, outcome: TrialOutcome, record: Record) {
        let index = trial.index
        var row = TrialRecord(
            trial: trial, status: outcome.status, failure: outcome.failure, benchRunId: outcome.benchRunId,
            startedNs: record.started.column, endedNs: MonotonicInstant.now().column)
        row.enginePid = record.pid.map { Int64($0) }
        row.engineExitStatus = record.exitStatus.map { Int64($0) }
        row.engineSignal = record.exitSignal.map { Int64($0) }
        row.oomKills = record.oomKills.map { Int64(bitPattern: $0) }
        row.cgroup = record.cgroup
        row.summary = outcome.summary
        for (name, control) in record.controls.sorted(by: { $0.key < $1.key }) where !control.applied {
            logger.warning("trial \(index) (\(trial.label)): \(name) not applied: \(control.reason)")
        }
        let outcomes = record.controls.sorted { $0.key < $1.key }.map { name, control in
            ConstraintOutcomeRecord(
                trialIndex: index, name: name, applied: control.applied, value: control.value, reason: control.reason,
                residencyBefore: control.residencyBefore, residencyAfter: control.residencyAfter)
        }
        do {
            try store.save(
                row, outcomes: outcomes,
                samples: record.samples.map { ProbeSampleRecord(trialIndex: index, sample: $0) },
                steps: Self.steps(record.stepLog).map { EngineStepRecord(trialIndex: index, step: $0) },
                events: record.events, profile: record.profile, pageTrace: record.pageTrace)
        } catch {
            logger.error("cannot record trial \(index): \(error)")
        }
    }

    /// The engine's step log, one `StepRecord` a line (a line cut short by a crash is skipped).
    static func steps(_ file: URL?) -> [StepRecord] {
        guard let file, let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(StepRecord.self, from: Data($0.utf8)) }
    }
}

/// A trial-level failure with its reason.
struct TrialError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
