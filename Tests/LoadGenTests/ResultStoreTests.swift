import Foundation
import GRDB
import LoadGen
import ResultStore
import Testing

@Suite("Results file")
struct ResultStoreTests {
    @Test("runs, requests, events written; CSV and JSONL exports; extra migrations apply")
    func storeAndExport() async throws {
        let server = try await MockOpenAIServer.start(behavior: .init(tokens: 4, intervalNanoseconds: 200_000))
        let path = TestDirectory().path("x.sqlite")
        var migrator = ResultStore.makeMigrator()
        migrator.registerMigration("v2-test") { db in
            try db.create(table: "trials") { t in t.autoIncrementedPrimaryKey("id") }
        }
        let store = try ResultStore(path: path, migrator: migrator)
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = 3
        c.api = .completions
        let result = try await BenchRunner(c, corpus: MockServerTests.corpus).run(store: store)
        await server.stop()
        #expect(result.runId == 1)

        var csv = ""
        let rows = try store.export(table: "requests", format: .csv) { csv += $0 }
        #expect(rows == 3)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("id,run_id,step,seq,corpus_id,class,"))
        var jsonl = ""
        try store.export(table: "events", format: .jsonl, runId: 1) { jsonl += $0 }
        let objects = try jsonl.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == 3 * (4 + 3))
        #expect(objects.first??["kind"] as? String == "content")
        var runs = ""
        try store.export(table: "runs", format: .jsonl) { runs += $0 }
        #expect(runs.contains("\"api\":\"completions\""))
        #expect(throws: ResultStoreError.self) { try store.export(table: "sqlite_master", format: .csv) { _ in } }

        // A second process-level open (as another reader would) sees the same data and the extra table.
        let reopened = try ResultStore(path: path, migrator: migrator)
        let tables = try reopened.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type='table'")
        }
        #expect(Set(tables).isSuperset(of: ["runs", "requests", "events", "trials"]))
        let mode = try reopened.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
