import Foundation
import GRDB
import InferLabCore
public import LoadGen

/// A bench run written as it goes: the `runs` row first (so an interrupted run is still there),
/// each window's requests and events in one transaction, the summary last.
extension RunStore: BenchRecording {
    public func started(_ configuration: BenchConfiguration, serverInfo: String?) throws -> Int64 {
        let run = RunRow(
            tool: "inferlab", toolVersion: InferLabVersion.current,
            startedAt: ISO8601DateFormatter().string(from: Date()),
            startMonotonicNs: MonotonicInstant.now().column, configuration: configuration,
            serverInfoJson: serverInfo)
        let inserted = try write { db in
            var row = run
            try row.insert(db)
            return row
        }
        return inserted.id ?? 0
    }

    public func recorded(_ records: [RequestRecord], step: Int, run: Int64) throws {
        let rows = records.map { (Self.row($0, runId: run), $0.events) }
        try write { db in
            for (row, events) in rows {
                var row = row
                try row.insert(db)
                let id = row.id ?? 0
                for (idx, event) in events.enumerated() {
                    try EventRow(
                        requestId: id, idx: idx, tNs: event.time.column, kind: event.kind.rawValue,
                        bytes: event.bytes
                    ).insert(db)
                }
            }
        }
    }

    public func recorded(serverMetrics samples: [ServerMetricSample], run: Int64) throws {
        try write { db in
            for sample in samples {
                try ServerMetricRow(
                    runId: run, tNs: sample.time.column, name: sample.name, labels: sample.labels, value: sample.value
                ).insert(db)
            }
        }
    }

    public func finished(_ summary: BenchSummary, run: Int64) throws {
        let finished = ISO8601DateFormatter().string(from: Date())
        try write { db in
            guard var row = try RunRow.fetchOne(db, key: run) else { return }
            row.summary = summary
            row.finishedAt = finished
            try row.update(db)
        }
    }

    static func row(_ r: RequestRecord, runId: Int64) -> RequestRow {
        RequestRow(
            runId: runId, step: r.step, seq: r.seq, corpusId: r.corpusId, class: r.lengthClass,
            scheduledNs: r.scheduled.column, sentNs: r.sent.column,
            firstContentNs: r.firstContent?.column,
            lastEventNs: r.lastEvent?.column, lagMs: r.lagMs, ttftMs: r.ttftMs,
            tpotMs: r.tpotMs, e2eMs: r.e2eMs, decodeTokensPerS: r.clientDecodeTokensPerSecond,
            promptTokens: r.promptTokens,
            promptTokensSource: r.promptTokens == nil ? nil : TokenCountSource.usage.rawValue,
            completionTokens: r.outputTokens, completionTokensSource: r.outputTokenSource.rawValue,
            contentEvents: r.contentEventCount, status: r.status, errorClass: r.errorClass?.rawValue,
            errorMessage: r.errorMessage, finishReason: r.finishReason,
            serverPredictedPerSecond: r.timings?.predictedPerSecond, serverTimings: r.timings, session: r.session,
            turn: r.turn)
    }
}
