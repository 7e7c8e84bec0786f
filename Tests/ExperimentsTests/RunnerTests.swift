import Foundation
import InferLabCore
import GRDB
import Synchronization
import InferenceCore
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

#if canImport(Glibc)
    import Glibc
#endif

/// The runner end to end against a fake engine (`Tests/Fixtures/fake-engine/fake-inferlab`, a
/// Python stand-in for `inferlab serve` with real HTTP on loopback): trial order, a failed start
/// and a crash under load recorded as failures while the run goes on, cancellation that keeps
/// what finished, resume, and no engine process left behind in any case.
@Suite(.serialized) struct RunnerTests {
    static let fake = TestPaths.root.appendingPathComponent("Tests/Fixtures/fake-engine/fake-inferlab").path

    /// ctx 1111 makes the fake engine exit before /health, ctx 2222 die at the first request.
    func spec(_ ctxs: [Int], repetitions: Int, requests: Int = 4) throws -> (ExperimentSpec, String) {
        let text = """
            name: fake-runner
            engine: {kind: inferlab, model: smollm2-135m, threads: 1, ctx: 512}
            workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 2, requests: \(requests),
                       warmup: 1, max_tokens: 8}
            probe: {interval_ms: 50}
            matrix:
              ctx: [\(ctxs.map(String.init).joined(separator: ", "))]
            repetitions: \(repetitions)
            """
        return (try ExperimentSpec.parse(yaml: text), text)
    }

    func runner(_ spec: ExperimentSpec, _ text: String, _ directory: URL, resume: Bool = false) -> ExperimentRunner {
        ExperimentRunner(
            spec: spec, specText: text, directory: directory, resume: resume, repositoryRoot: TestPaths.root,
            inferlabExecutable: Self.fake)
    }

    struct Row: FetchableRecord, Decodable {
        var idx: Int
        var level: Int
        var repetition: Int
        var status: String
        var failure: String?
        var started_ns: Int64
        var engine_pid: Int64?
        var engine_exit_status: Int64?
        var engine_signal: Int64?
        var bench_run_id: Int64?
    }

    func rows(_ directory: URL) throws -> [Row] {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("results.sqlite").path)
        return try queue.read { try Row.fetchAll($0, sql: "SELECT * FROM trials ORDER BY started_ns") }
    }

    func experimentStatus(_ directory: URL) throws -> String? {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("results.sqlite").path)
        return try queue.read { try String.fetchOne($0, sql: "SELECT status FROM experiment") }
    }

    /// Pids of fake engines still running (or unreaped) anywhere on the machine.
    func strayEngines() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains("fake-inferlab")
        }
    }

    @Test(.timeLimit(.minutes(2))) func interleavesRecordsFailuresAndLeavesNothingBehind() async throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        let directory = TestPaths.temporaryDirectory("runner-fake")
        let (spec, text) = try spec([512, 1111, 2222], repetitions: 2)
        let outcome = try await runner(spec, text, directory).run()
        #expect(outcome.trials == 6 && outcome.completed == 2 && outcome.failed == 4 && !outcome.cancelled)
        let rows = try rows(directory)
        // A B C A B C, not A A B B C C.
        #expect(rows.map(\.level) == [0, 1, 2, 0, 1, 2])
        #expect(rows.map(\.repetition) == [1, 1, 1, 2, 2, 2])
        for row in rows where row.level == 0 {
            #expect(row.status == "ok" && row.bench_run_id != nil && row.engine_exit_status == 0)
        }
        for row in rows where row.level == 1 {
            #expect(row.status == "failed")
            #expect(row.failure?.contains("exited before it was ready") == true)
            #expect(row.failure?.contains("exit status 3") == true)
            #expect(row.engine_exit_status == 3)
        }
        for row in rows where row.level == 2 {
            #expect(row.status == "failed")
            #expect(row.failure?.contains("signal 9") == true)
            #expect(row.engine_signal == 9)
        }
        #expect(try experimentStatus(directory) == "complete")
        #expect(FileManager.default.fileExists(atPath: outcome.report.path))
        #expect(strayEngines().isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func aTrialWhoseRequestsAllFailIsAFailedTrial() async throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        let directory = TestPaths.temporaryDirectory("runner-400")
        let (spec, text) = try spec([3333], repetitions: 1)
        let outcome = try await runner(spec, text, directory).run()
        #expect(outcome.failed == 1 && outcome.completed == 0)
        let row = try #require(try rows(directory).first)
        #expect(row.status == "failed")
        #expect(row.failure?.contains("all 4 requests failed: HTTP 400") == true, "\(row.failure ?? "")")
        #expect(row.bench_run_id != nil)  // the failed requests are kept as evidence
        #expect(strayEngines().isEmpty)
    }

    @Test(.timeLimit(.minutes(2))) func cancellationKeepsWhatFinishedAndResumeCompletesTheRun() async throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        let directory = TestPaths.temporaryDirectory("runner-cancel")
        // Long enough trials that the cancel lands mid-load: 40 requests of 8 tokens, 2 ms each.
        let (spec, text) = try spec([512, 768], repetitions: 2, requests: 40)
        var first = runner(spec, text, directory)
        let started = Mutex<Task<RunOutcome, any Error>?>(nil)
        first.progress = { progress in
            // Cancel once the first trial ended and the second one is running.
            if progress.done == 1, progress.current != nil {
                started.withLock { $0?.cancel() }
            }
        }
        let task = Task { try await first.run() }
        started.withLock { $0 = task }
        let outcome = try await task.value
        #expect(outcome.cancelled)
        var rows = try self.rows(directory)
        #expect(rows.count == 2)
        #expect(rows.first?.status == "ok")
        #expect(rows.last?.status == "cancelled")
        let firstStart = rows.first?.started_ns
        #expect(try experimentStatus(directory) == "cancelled")
        #expect(strayEngines().isEmpty)

        // A second start without --resume refuses to overwrite; --resume runs what is left.
        await #expect(throws: RunError.self) { try await runner(spec, text, directory).run() }
        let resumed = try await runner(spec, text, directory, resume: true).run()
        #expect(!resumed.cancelled && resumed.trials == 4)
        rows = try self.rows(directory)
        let finished = rows.filter { $0.status == "ok" }
        #expect(Set(finished.map(\.idx)) == [0, 1, 2, 3])
        #expect(finished.count == 4)
        #expect(rows.first { $0.idx == 0 }?.started_ns == firstStart)  // trial 0 was not run again
        #expect(try experimentStatus(directory) == "complete")
        #expect(strayEngines().isEmpty)
    }
}

@Suite struct EngineLauncherTests {
    /// An InferLab engine gets its whole configuration as one file, the experiment's knobs in it
    /// (and its step log beside the trial); llama-server gets the flags it has, and no step log.
    @Test func anInferLabEngineRunsOnTheSpecsConfigurationFileAndLlamaServerOnItsFlags() throws {
        let directory = TestPaths.temporaryDirectory("launcher")
        let steps = directory.appendingPathComponent("engine-steps-trial-3.jsonl")
        let configFile = directory.appendingPathComponent("engine-config-trial-3.json")
        let launcher = EngineLauncher(
            inferlabExecutable: "inferlab", llamaServerExecutable: "llama-server",
            logFile: directory.appendingPathComponent("engine-trial-3.log"), configFile: configFile, stepLog: steps)
        let spec = try ExperimentSpec.parse(
            yaml: """
                name: launcher
                engine: {kind: inferlab, model: smollm2-135m, batch_tokens: 256, step_target_ms: 250, ctx: 2048}
                workload: {scenario: closed, concurrency: 1, requests: 1}
                """)
        let inferlab = try launcher.command(spec.engine, modelPath: "m.gguf", port: 9000)
        #expect(inferlab.prefix(4) == ["inferlab", "serve", "--config", configFile.path])
        let written = try JSONDecoder().decode(ServerConfiguration.self, from: Data(contentsOf: configFile))
        #expect(written.engine.scheduler.batchTokens == 256 && written.engine.scheduler.stepTargetMilliseconds == 250)
        #expect(written.engine.context.contextLength == 2048 && written.port == 9000 && written.model == "m.gguf")
        #expect(written.engine.stepLog == steps.path)
        var peer = spec.engine
        peer.kind = .llamaServer
        let flags = try launcher.command(peer, modelPath: "m.gguf", port: 9000)
        #expect(flags.first == "llama-server" && !flags.contains("--step-log") && !flags.contains("--config"))
        #expect(flags.contains("-c") && flags[flags.firstIndex(of: "-c")! + 1] == "2048")
    }
}
