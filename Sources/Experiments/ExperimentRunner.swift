import Constraints
public import ExperimentFile
public import Foundation
public import InferLabCore
public import Logging
import RunStore
import SystemSetup

/// Runs an experiment file: every trial in interleaved order, each in isolation, results in
/// one SQLite file per run, then the report. A failed trial is recorded and the run goes on;
/// cancellation (Ctrl-C) tears the current trial down and keeps what finished; `resume`
/// continues a run directory, skipping trials that already ended.
public struct ExperimentRunner: Sendable {
    public var spec: ExperimentSpec
    /// The file's text, stored with the run.
    public var specText: String
    /// Where results go; the default is `results/<name>-<timestamp>/` under the repository.
    public var directory: URL
    public var resume: Bool
    public var repositoryRoot: URL
    /// Overrides the spec's `price_per_hour` in the report. The default is none.
    public var pricePerHour: Double?
    /// The `inferlab` executable that serves as the engine.
    public var inferlabExecutable: String
    /// Called after each trial (and once before the first) with the progress.
    public var progress: (@Sendable (RunProgress) -> Void)?
    public var logger: Logger

    public init(
        spec: ExperimentSpec, specText: String, directory: URL, resume: Bool, repositoryRoot: URL,
        inferlabExecutable: String, logger: Logger = Logger(label: "inferlab.run")
    ) {
        self.spec = spec
        self.specText = specText
        self.directory = directory
        self.resume = resume
        self.repositoryRoot = repositoryRoot
        self.inferlabExecutable = inferlabExecutable
        self.logger = logger
    }

    /// The default run directory for a spec.
    public static func defaultDirectory(for spec: ExperimentSpec, root: URL) -> URL {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return root.appendingPathComponent("results/\(spec.name)-\(formatter.string(from: Date()))")
    }

    /// Runs what is left to run and writes the report; returns the outcome.
    public func run() async throws -> RunOutcome {
        try RunLease.current.begin()  // what the trials create is recorded, for a run after a kill -9
        defer { RunLease.current.end() }
        try spec.validate()
        let storePath = directory.appendingPathComponent("results.sqlite")
        if resume {
            guard FileManager.default.fileExists(atPath: storePath.path) else {
                throw RunError("nothing to resume: \(storePath.path) does not exist")
            }
        } else {
            guard !FileManager.default.fileExists(atPath: storePath.path) else {
                throw RunError(
                    "\(directory.path) already holds a run; use --resume to continue it or choose another --out")
            }
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try RunStore(path: storePath.path)
        let trials = spec.trials()
        let finished = try store.endedTrials()
        let modelPaths = Set(
            trials.compactMap { try? DerivedModels.path(model: $0.config.engine.server.model, quantization: .original) }
        )
        try recordStart(store, modelPaths: Array(modelPaths))

        var preparation: SystemPreparation?
        var systemBefore: String?
        if let system = spec.system {
            let prepared = SystemPreparation()
            systemBefore = Self.json(SystemShow.read())
            // A profile file named by a relative path is the repository's, as a spec's corpus is.
            let named =
                SystemProfile.builtIn[system.profile] != nil || system.profile.hasPrefix("/")
                ? system.profile : repositoryRoot.appendingPathComponent(system.profile).path
            let report = try prepared.prepare(profile: try SystemProfile.named(named))
            try event(store, .systemPrepare, detail: Self.json(report))
            preparation = prepared
        }
        defer {
            if let preparation {
                let restored = try? preparation.restore()
                try? event(store, .systemRestore, detail: restored.map { Self.json($0) } ?? "restore failed")
                if let systemBefore { try? event(store, .systemBefore, detail: systemBefore) }
                try? event(store, .systemAfter, detail: Self.json(SystemShow.read()))
            }
        }

        let executor = TrialExecutor(
            store: store, runDirectory: directory, repositoryRoot: repositoryRoot,
            inferlabExecutable: inferlabExecutable,
            probeIntervalMs: spec.probe.intervalMs, probeThreads: spec.probe.threads, profile: spec.probe.profile,
            pageTrace: spec.probe.pageTrace, memlock: try preparation?.recordedMemlockLimit(), logger: logger)
        let todo = trials.filter { !finished.contains($0.index) }
        var progress = RunProgress(
            total: trials.count, done: finished.count, failed: 0, current: nil, startedAt: Date())
        self.progress?(progress)
        /// Runs one trial and counts it; returns whether the run was cancelled.
        func run(_ trial: Trial, _ note: String) async -> Bool {
            if Task.isCancelled { return true }
            progress.current = trial.label + " (repetition \(trial.repetition)\(note))"
            self.progress?(progress)
            let outcome = await executor.run(trial)
            switch outcome.status {
            case .ok: progress.done += 1
            case .failed:
                progress.done += 1
                progress.failed += 1
                logger.warning("trial \(trial.index) (\(trial.label)) failed: \(outcome.failure ?? "")")
            case .cancelled: break
            }
            progress.current = nil
            self.progress?(progress)
            return outcome.status == .cancelled
        }
        var cancelled = false
        for trial in todo where !cancelled { cancelled = await run(trial, "") }
        // Repetitions by precision: a round more for each level whose CVs are not yet known to
        // the stated width, until the cap (interleaved over the levels that need it).
        if let precision = spec.precision {
            var next = max(trials.count, (try store.endedTrials().max() ?? -1) + 1)
            while !cancelled {
                let data = try RunData.load(storePath.path)
                let needing = RunPrecision.levelsNeedingMore(data, precision, levels: spec.levels.count)
                if needing.isEmpty { break }
                progress.total += needing.count
                for level in needing where !cancelled {
                    guard let template = trials.first(where: { $0.level == level }) else { continue }
                    let repetition = (data.trials.filter { $0.level == level }.map(\.repetition).max() ?? 0) + 1
                    let trial = Trial(
                        index: next, level: level, repetition: repetition, variant: template.variant,
                        settings: template.settings, config: template.config)
                    next += 1
                    cancelled = await run(trial, ", for precision")
                }
            }
        }
        try store.finished(cancelled ? .cancelled : .complete)
        let report = try RunReport.write(directory: directory, pricePerHour: pricePerHour)
        return RunOutcome(
            directory: directory, trials: progress.total, completed: progress.done - progress.failed,
            failed: progress.failed,
            cancelled: cancelled, report: report)
    }

    private func recordStart(_ store: RunStore, modelPaths: [String]) throws {
        let provenance = Provenance.collect(repositoryRoot: repositoryRoot, modelPaths: modelPaths)
        try store.started(
            ExperimentRecord(
                name: spec.name, specYAML: specText, specJSON: (try? spec.resolvedJSON()) ?? "{}",
                provenance: provenance, startedAt: ISO8601DateFormatter().string(from: Date()), status: .running))
    }

    private func event(_ store: RunStore, _ kind: RunEventKind, detail: String) throws {
        try store.record(RunEventRecord(trialIndex: nil, time: .now(), kind: kind, detail: detail))
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

/// Trial i of n, for the progress display.
public struct RunProgress: Sendable {
    public var total: Int
    public var done: Int
    public var failed: Int
    public var current: String?
    public var startedAt: Date

    /// Seconds left, from the mean time per finished trial of this session.
    public func etaSeconds(doneThisSession: Int) -> Double? {
        guard doneThisSession > 0 else { return nil }
        let perTrial = Date().timeIntervalSince(startedAt) / Double(doneThisSession)
        return perTrial * Double(total - done)
    }
}

/// What a run produced.
public struct RunOutcome: Sendable {
    public var directory: URL
    public var trials: Int
    public var completed: Int
    public var failed: Int
    public var cancelled: Bool
    public var report: URL
}

/// A run-level failure (bad directory, nothing to resume, an export or study that cannot be written).
public struct RunError: InferLabError {
    public enum Code: String, Sendable, CustomStringConvertible {
        /// A run directory that cannot hold this run, or nothing to resume.
        case directory
        /// A table or study name that does not exist.
        case badArgument = "bad_argument"
        /// A file that could not be written.
        case write
        public var description: String { rawValue }
    }
    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?
    /// The user named the directory or the table; a write that failed is the machine's.
    public var isUsageError: Bool { code != .write }
    public init(_ message: String, code: Code = .directory, cause: (any Error & Sendable)? = nil) {
        self.message = message
        self.code = code
        self.cause = cause
    }
}
