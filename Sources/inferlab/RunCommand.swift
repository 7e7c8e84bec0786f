import ArgumentParser
import Constraints
import ExperimentFile
import Experiments
import Foundation
import InferenceCore
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an experiment file: every trial in isolation, results in SQLite, then the report.")

    @Argument(help: "The experiment file (YAML), e.g. experiments/quickstart.yaml.") var file: String
    @Option(help: "Run directory (default: results/<name>-<timestamp>/).") var out: String?
    @Flag(help: "Continue the run in --out, skipping trials that already ended.") var resume = false
    @Flag(
        help:
            "Validate the file and print every trial with its resolved configuration and an estimated time; run nothing."
    )
    var plan = false
    @Option(help: "US dollars per hour of this machine (overrides the file's price_per_hour): $ per million tokens.")
    var pricePerHour: Double?

    func validate() throws {
        if let pricePerHour, !(pricePerHour > 0 && pricePerHour.isFinite) {
            throw ValidationError("--price-per-hour must be above 0 (got \(pricePerHour))")
        }
    }

    func run() async throws {
        try await reportingErrors {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw UsageError("cannot read the experiment file \(file)")
            }
            let spec = try ExperimentSpec.parse(yaml: text)
            let catalog = try ModelCatalog.locate()
            if plan {
                print(try ExperimentPlan.make(spec, repositoryRoot: catalog.root).text())
                return
            }
            // First what a run killed by -9 (or the OOM killer) left: a stray engine would share
            // the machine with this run's trials, its cgroups would stay forever.
            if let removed = LeftoverFinder.onThisMachine().reclaim().summary {
                FileHandle.standardError.write(Data("inferlab run: \(removed)\n".utf8))
            }
            if resume && out == nil { throw UsageError("--resume needs --out DIR, the run directory to continue") }
            let directory =
                out.map { URL(fileURLWithPath: $0) } ?? ExperimentRunner.defaultDirectory(for: spec, root: catalog.root)
            var runner = ExperimentRunner(
                spec: spec, specText: text, directory: directory, resume: resume, repositoryRoot: catalog.root,
                inferlabExecutable: inferlabExecutablePath())
            runner.pricePerHour = pricePerHour
            let terminal = isatty(STDERR_FILENO) == 1
            let startDone = LockedCounter()
            runner.progress = { progress in
                if startDone.first(progress.done) == nil { return }
                let session = progress.done - (startDone.value ?? 0)
                let eta = progress.etaSeconds(doneThisSession: session).map { String(format: ", ETA %.0f s", $0) } ?? ""
                let line =
                    "trial \(min(progress.done + (progress.current == nil ? 0 : 1), progress.total))/\(progress.total)"
                    + (progress.failed > 0 ? " (\(progress.failed) failed)" : "") + eta
                    + (progress.current.map { ": \($0)" } ?? "")
                FileHandle.standardError.write(
                    Data(((terminal ? "\r\u{1B}[K" : "") + line + (terminal ? "" : "\n")).utf8))
            }
            let outcome = try await runGracefully(runner, command: "run")
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            print(
                "\(outcome.completed) of \(outcome.trials) trials finished, \(outcome.failed) failed"
                    + (outcome.cancelled
                        ? ", run cancelled (continue with --resume --out \(outcome.directory.path))" : ""))
            print("run directory: \(outcome.directory.path)")
            print("report: \(outcome.report.path)")
            // An interrupted run exits as interrupted (128 + SIGINT), so scripts can tell.
            if outcome.cancelled { throw ExitCode(130) }
        }
    }
}

/// The done-count at the first progress call, so the ETA counts only this session's trials.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value: Int?

    /// Records the first value; returns it (never nil after the first call).
    func first(_ done: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        if value == nil { value = done }
        return value
    }
}

/// This program's absolute path: what a runner launches as `inferlab serve`.
func inferlabExecutablePath() -> String {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    return executable.hasPrefix("/") ? executable : FileManager.default.currentDirectoryPath + "/" + executable
}

/// Runs an experiment to its end. Ctrl-C (or SIGTERM, SIGHUP) shuts the run down gracefully: it
/// is cancelled, the current trial's engine, cgroup and background load are torn down and the
/// trial recorded; finished trials stay.
func runGracefully(_ runner: ExperimentRunner, command: String) async throws -> RunOutcome {
    try await untilShutdownSignal([.sigint, .sigterm, .sighup]) {
        try await withGracefulShutdownHandler {
            try await cancelWhenGracefulShutdown { try await runner.run() }
        } onGracefulShutdown: {
            FileHandle.standardError.write(
                Data("\ninferlab \(command): interrupted, tearing down the current trial...\n".utf8))
        }
    }
}
