import ExperimentFile
import Foundation
import GRDB
import InferLabCore
import InferenceCore
import LoadGen
import Testing
import TestSupport

@testable import RunStore

/// What a run keeps of each request's life on the server: the engine's steps with each request's
/// share, and the request's `timings` with its server id and instants.
@Suite("Engine steps and server timings in the results file")
struct EngineStepStoreTests {
    static let experiment = ExperimentRecord(
        name: "explain", specYAML: "name: explain", specJSON: "{}", provenance: [:],
        startedAt: "2026-12-01T00:00:00Z", status: .complete)
    static let trial = TrialRecord(
        trial: Trial(
            index: 0, level: 0, repetition: 1, variant: nil, settings: [],
            config: TrialConfig(
                engine: EngineSpec(kind: .inferlab), workload: BenchConfiguration(), constraints: ConstraintSpec())),
        status: .ok, failure: nil, benchRunId: nil, startedNs: 1, endedNs: 2)

    @Test func engineStepsKeepTheirIndexAndEachRequestsShare() throws {
        let path = TestPaths.temporaryDirectory("steps").appendingPathComponent("results.sqlite").path
        let store = try RunStore(path: path)
        let steps = [
            StepRecord(
                index: 1, start: .at(1_000_000), durationMilliseconds: 9.5, decodeTokens: 0, promptTokens: 64,
                promptSequences: 1, running: 1, waiting: 1, requests: [StepShare(id: "cmpl-a", decode: 0, prompt: 64)]),
            StepRecord(
                index: 2, start: .at(11_000_000), durationMilliseconds: 8.25, decodeTokens: 1, promptTokens: 12,
                promptSequences: 1, running: 2, waiting: 0,
                requests: [
                    StepShare(id: "cmpl-a", decode: 1, prompt: 0), StepShare(id: "chatcmpl-b", decode: 0, prompt: 12),
                ]),
        ]
        try store.started(Self.experiment)
        try store.save(
            Self.trial, outcomes: [], samples: [], steps: steps.map { EngineStepRecord(trialIndex: 0, step: $0) },
            events: [])
        let read = try #require(try store.readRun().trials.first)
        #expect(read.steps == steps)
        // The columns are the step log's keys; the shares are the step log's JSON.
        let (index, json) = try #require(
            try store.read { db in
                try Row.fetchOne(db, sql: #"SELECT "index", requests FROM engine_steps ORDER BY start_ns DESC"#)
                    .map { ($0["index"] as Int, $0["requests"] as String) }
            })
        #expect(index == 2)
        #expect(try JSONDecoder().decode([StepShare].self, from: Data(json.utf8)) == steps[1].requests)
    }

    /// A file of schema 2 (inferlab 0.2: steps without index or shares) opens through the
    /// migration; its steps read back with index 0 and no shares.
    @Test func stepsOfASchemaTwoFileReadWithNoShares() throws {
        let path = TestPaths.temporaryDirectory("schema2").appendingPathComponent("results.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try RunSchema.migrator().migrate(queue, upTo: "v2-typed-run-store")
        try queue.write { db in
            try Self.experiment.insert(db)
            try Self.trial.insert(db)
            try db.execute(
                sql: """
                    INSERT INTO engine_steps (trial_idx, start_ns, duration_ms, decode_tokens, prompt_tokens,
                        prompt_sequences, running, waiting)
                    VALUES (0, 5000, 7.5, 3, 0, 0, 3, 0), (0, 9000, 20.25, 1, 40, 1, 2, 1)
                    """)
        }
        try queue.close()
        let store = try RunStore(path: path)
        let steps = try #require(try store.readRun().trials.first).steps
        #expect(
            steps == [
                StepRecord(
                    start: .at(5000), durationMilliseconds: 7.5, decodeTokens: 3, promptTokens: 0, promptSequences: 0,
                    running: 3, waiting: 0),
                StepRecord(
                    start: .at(9000), durationMilliseconds: 20.25, decodeTokens: 1, promptTokens: 40,
                    promptSequences: 1, running: 2, waiting: 1),
            ])
        #expect(steps.allSatisfy { $0.index == 0 && $0.requests.isEmpty })
        let schema = try store.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'schema'")
        }
        #expect(schema == "6", "the file is migrated to the current schema")
    }

    /// The `timings` a request's final chunk carried, with InferLab's id and instants, survive the
    /// results file; llama-server's, without them, stay without them.
    @Test func serverTimingsKeepTheRequestsIdAndInstants() throws {
        let path = TestPaths.temporaryDirectory("timings").appendingPathComponent("results.sqlite").path
        let store = try RunStore(path: path)
        var inferlab = ServerTimings()
        inferlab.queueMs = 2.5
        inferlab.predictedN = 8
        inferlab.id = "chatcmpl-0123456789abcdef01234567"
        inferlab.arrival = .at(10_000_000_000)
        inferlab.admitted = .at(10_002_500_000)
        inferlab.prefillStart = .at(10_002_600_000)
        inferlab.firstToken = .at(10_030_000_000)
        inferlab.lastToken = .at(10_120_000_000)
        var llamaServer = ServerTimings()
        llamaServer.predictedN = 8
        llamaServer.predictedPerSecond = 80
        let run = try store.started(BenchConfiguration(), serverInfo: nil)
        let records = [inferlab, llamaServer].enumerated().map { seq, timings in
            var record = RequestRecord(
                step: 0, seq: seq, corpusId: "a", lengthClass: "short", scheduled: .at(9_000_000_000),
                sent: .at(9_000_000_000))
            record.timings = timings
            return record
        }
        try store.recorded(records, step: 0, run: run)
        let rows = try store.read { db in try RequestRow.order(Column("seq")).fetchAll(db) }
        #expect(rows.map(\.serverTimings) == [inferlab, llamaServer])
        let json = try #require(
            try store.read { db in
                try String.fetchOne(db, sql: "SELECT server_timings_json FROM requests WHERE seq = 0")
            })
        #expect(json.contains(#""arrival_ns":10000000000"#) && json.contains(#""id":"chatcmpl-"#), "\(json)")
    }
}
