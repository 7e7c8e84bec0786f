import Foundation
import InferLabCore
import ResultStore

/// Writes a run to the results file: the `runs` row first (so an interrupted run is still
/// there), each window's requests and events in one transaction, the summary last.
struct BenchRecorder: Sendable {
    let store: ResultStore
    let runId: Int64

    static func start(
        store: ResultStore, configuration: BenchConfiguration, serverInfo: String?, toolVersion: String
    ) throws(LoadGenError) -> BenchRecorder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let configurationJSON = String(decoding: (try? encoder.encode(configuration)) ?? Data(), as: UTF8.self)
        let run = RunRow(
            tool: "bench", toolVersion: toolVersion, startedAt: ISO8601DateFormatter().string(from: Date()),
            startMonotonicNs: Int64(MonotonicClock.now()), targetUrl: configuration.url,
            api: configuration.api.rawValue,
            model: configuration.model, scenario: configuration.scenario.rawValue, configurationJson: configurationJSON,
            serverInfoJson: serverInfo)
        do {
            let inserted = try store.write { db in
                var row = run
                try row.insert(db)
                return row
            }
            return BenchRecorder(store: store, runId: inserted.id ?? 0)
        } catch {
            throw LoadGenError(.store, error.message, cause: error)
        }
    }

    func write(_ records: [RequestRecord], step: Int) throws(LoadGenError) {
        let runId = self.runId
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rows = records.map { r in
            (Self.row(r, runId: runId, timings: r.timings.flatMap { try? encoder.encode($0) }), r.events)
        }
        do {
            try store.write { db in
                for (row, events) in rows {
                    var row = row
                    try row.insert(db)
                    let id = row.id ?? 0
                    for (idx, e) in events.enumerated() {
                        try EventRow(requestId: id, idx: idx, tNs: Int64(e.t), kind: e.kind.rawValue, bytes: e.bytes)
                            .insert(db)
                    }
                }
            }
        } catch {
            throw LoadGenError(.store, error.message, cause: error)
        }
    }

    func finish(summary: BenchSummary) throws(LoadGenError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: (try? encoder.encode(summary)) ?? Data(), as: UTF8.self)
        let finished = ISO8601DateFormatter().string(from: Date())
        let runId = self.runId
        do {
            try store.write { db in
                try db.execute(
                    sql: "UPDATE runs SET summary_json = ?, finished_at = ? WHERE id = ?",
                    arguments: [json, finished, runId])
            }
        } catch {
            throw LoadGenError(.store, error.message, cause: error)
        }
    }

    static func row(_ r: RequestRecord, runId: Int64, timings: Data?) -> RequestRow {
        RequestRow(
            runId: runId, step: r.step, seq: r.seq, corpusId: r.corpusId, class: r.lengthClass,
            scheduledNs: Int64(r.scheduledNs), sentNs: Int64(r.sentNs),
            firstContentNs: r.firstContentNs.map { Int64($0) },
            lastEventNs: r.lastEventNs.map { Int64($0) }, lagMs: r.lagMs, ttftMs: r.ttftMs, tpotMs: r.tpotMs,
            e2eMs: r.e2eMs,
            decodeTokensPerS: r.clientDecodeTokensPerSecond, promptTokens: r.promptTokens,
            promptTokensSource: r.promptTokens == nil ? nil : TokenCountSource.usage.rawValue,
            completionTokens: r.outputTokens, completionTokensSource: r.outputTokenSource.rawValue,
            contentEvents: r.contentEventCount, status: r.status, errorClass: r.errorClass?.rawValue,
            errorMessage: r.errorMessage, finishReason: r.finishReason,
            serverPredictedPerSecond: r.timings?.predictedPerSecond,
            serverTimingsJson: timings.map { String(decoding: $0, as: UTF8.self) })
    }
}
