import ExperimentFile
import Foundation
import GRDB
import InferLabCore
import LoadGen
import Testing
import TestSupport

@testable import RunStore

@Suite("Results file")
struct RunStoreTests {
    static let corpus = Corpus(entries: [
        CorpusEntry(id: "a", prompt: "Say hello.", maxTokens: 4, class: "short"),
        CorpusEntry(id: "b", prompt: "Count to three.", maxTokens: 4, class: "short"),
    ])

    @Test("runs, requests, events written typed; CSV and JSONL exports; the file reopens in WAL mode")
    func storeAndExport() async throws {
        let server = try await MockOpenAIServer.start(behavior: .init(tokens: 4, interval: .microseconds(200)))
        let path = TestPaths.temporaryDirectory("store").appendingPathComponent("x.sqlite").path
        let store = try RunStore(path: path)
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = 3
        c.api = .completions
        let result = try await BenchRunner(c, corpus: Self.corpus).run(store: store)
        await server.stop()
        #expect(result.runId == 1)
        // The run reads back typed: its configuration and summary are the values written.
        let run = try store.read { db in try RunRow.fetchOne(db, key: 1) }
        #expect(run?.configuration == c && run?.summary?.requests.completed == 3)
        let requests = try store.read { db in try RequestRow.fetchAll(db) }
        #expect(requests.count == 3)
        #expect(requests.map(\.serverTimings) == result.records.map(\.timings))

        var csv = ""
        let rows = try store.export(table: "requests", format: .csv) { csv += $0 }
        #expect(rows == 3)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("id,run_id,step,seq,corpus_id,class,"))
        var jsonl = ""
        try store.export(table: "events", format: .jsonl, runId: 1) { jsonl += $0 }
        struct Event: Decodable { var kind: String }
        let events = try jsonl.split(separator: "\n").map { try JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
        #expect(events.count == 3 * (4 + 3))
        #expect(events.first?.kind == "content")
        #expect(throws: RunStoreError.self) { try store.export(table: "sqlite_master", format: .csv) { _ in } }

        let reopened = try RunStore(path: path)
        let mode = try reopened.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let writer = try reopened.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'tool_version'")
        }
        #expect(writer == InferLabVersion.current)
    }

    /// A file of schema 1 (inferlab 0.1.0: settings as typed JSON values, the controls of a trial in
    /// one JSON column) opens through the migration and reads back typed.
    @Test func aSchemaOneRunOpensThroughTheMigration() throws {
        let path = TestPaths.temporaryDirectory("schema1").appendingPathComponent("results.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try RunSchema.migrator().migrate(queue, upTo: "experiment-v1")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO experiment (id, name, spec_yaml, spec_json, provenance_json, started_at, status)
                    VALUES (1, 'old', 'name: old', '{}', '{"cpus_online": "2"}', '2026-11-30T00:00:00Z', 'complete')
                    """)
            try db.execute(
                sql: """
                    INSERT INTO trials (idx, level, repetition, label, settings_json, config_json, status, started_ns,
                        ended_ns, controls_json, cgroup_json)
                    VALUES (0, 0, 1, 'cpu_quota=0.5 prefix_cache=on memory_max=none', ?, ?, 'ok', 1, 2, ?, ?)
                    """,
                arguments: [
                    """
                    [{"variable":"cpu_quota","value":{"type":"number","value":0.5}},
                     {"variable":"prefix_cache","value":{"type":"flag","value":true}},
                     {"variable":"memory_max","value":{"type":"none"}}]
                    """,
                    """
                    {"engine":{"kind":"inferlab","model":"smollm2-135m","quantization":"original","threads":2,
                     "ctx":4096,"max_seqs":8,"load_mode":"mmap","prefix_cache":true,"scheduler":"continuous"},
                     "workload":{"api":"chat","corpus":"data/prompts.jsonl","prompt_class":"mixed",
                     "scenario":"closed","concurrency":1,"warmup":2,"max_tokens":64,"sampler":"greedy",
                     "temperature":0.8,"top_k":40,"top_p":0.9,"seed":42,"timeout_s":120},
                     "constraints":{"cpu_quota":0.5,"background_load":0,"start":"warm"}}
                    """,
                    #"{"cpu_quota": {"applied": true, "reason": "wrote 50000 100000", "value": "0.5"}}"#,
                    #"{"version": "v1", "path": "/inferlab-trial-1", "throttled_usec": 1234}"#,
                ])
        }
        let run = try RunStore(path: path).readRun()
        let trial = try #require(run.trials.first)
        #expect(
            trial.record.settings == [
                Setting("cpu_quota", "0.5"), Setting("prefix_cache", "on"), Setting("memory_max", "none"),
            ])
        #expect(trial.record.config.constraints.cpuQuota == 0.5)
        #expect(trial.record.config.engine.server.engine.prefixCache)
        #expect(trial.record.cgroup?.throttledMicroseconds == 1234)
        #expect(trial.outcomes.map(\.name) == ["cpu_quota"] && trial.outcomes.first?.applied == true)
        #expect(run.experiment.status == .complete && run.experiment.provenance["cpus_online"] == "2")
    }

    /// A file with a migration this version does not know was written by a later one: refused,
    /// naming the version that wrote it.
    @Test func aFileOfALaterSchemaIsRefusedNamingItsWriter() throws {
        let path = TestPaths.temporaryDirectory("schema9").appendingPathComponent("results.sqlite").path
        _ = try RunStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
            try db.execute(sql: "UPDATE store_info SET value = '9.0.0' WHERE key = 'tool_version'")
        }
        let error = try #require(throws: RunStoreError.self) { try RunStore(path: path) }
        #expect(error.code == .newerSchema)
        #expect(error.message.contains("written by inferlab 9.0.0"), "\(error.message)")
    }
}
