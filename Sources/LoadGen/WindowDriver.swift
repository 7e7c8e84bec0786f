import InferLabCore

/// Drives a ``LoadScheduler`` on the real clock: spawns one task per request and collects
/// every record, whatever happened to it.
struct WindowDriver: Sendable {
    struct Window {
        var records: [RequestRecord]
        var start: MonotonicInstant
        var end: MonotonicInstant
        var peakInFlight: Int
    }

    let client: StreamingClient
    let corpus: Corpus
    let bodies: [Foundation.Data]
    let tracker: ProgressTracker
    /// The next corpus entry; the corpus is cycled in order across windows.
    var cursor = 0

    init(client: StreamingClient, corpus: Corpus, bodies: [Foundation.Data], tracker: ProgressTracker) {
        self.client = client
        self.corpus = corpus
        self.bodies = bodies
        self.tracker = tracker
    }

    mutating func run(step: Int, pattern: LoadScheduler.Pattern, requests: Int?, duration: Duration?) async -> Window {
        let start = MonotonicInstant.now()
        var scheduler = LoadScheduler(pattern: pattern, start: start, requests: requests, duration: duration)
        if step >= 0 { tracker.startWindow(total: requests, now: start) }
        var records: [RequestRecord] = []
        let client = self.client
        let tracker = self.tracker
        let count = corpus.entries.count
        var cursor = self.cursor
        let measured = step >= 0
        await withTaskGroup(of: RequestRecord.self) { group in
            var stopping = false
            loop: while true {
                let action: LoadScheduler.Action =
                    stopping
                    ? (scheduler.inFlight > 0 ? .awaitCompletion : .finished)
                    : scheduler.nextAction(now: .now())
                switch action {
                case .send(let index, let scheduledAt):
                    let entry = corpus.entries[cursor % count]
                    let body = bodies[cursor % count]
                    cursor += 1
                    group.addTask {
                        let record = await client.send(
                            entry, body: body, step: step, seq: index, scheduled: scheduledAt)
                        if measured { tracker.finished(record, now: .now()) }
                        return record
                    }
                case .sleep(let until):
                    let now = MonotonicInstant.now()
                    if until > now {
                        do {
                            try await Task.sleep(for: until - now)
                        } catch {
                            stopping = true
                        }
                    }
                case .awaitCompletion:
                    if let record = await group.next() {
                        records.append(record)
                        scheduler.requestFinished()
                    }
                case .finished:
                    break loop
                }
                if Task.isCancelled { stopping = true }
            }
        }
        self.cursor = cursor
        let end = records.map(\.finished).max() ?? .now()
        return Window(records: records, start: start, end: max(end, start), peakInFlight: scheduler.peakInFlight)
    }
}

import Foundation
