import Foundation
import InferLabCore
import Synchronization

/// Drives a ``LoadScheduler`` on the real clock: spawns one task per request and collects
/// every record, whatever happened to it. Multi-turn sessions run their own closed loop
/// (``runSessions(step:requests:duration:)``).
struct WindowDriver: Sendable {
    struct Window {
        var records: [RequestRecord]
        var start: MonotonicInstant
        var end: MonotonicInstant
        var peakInFlight: Int
        /// Why the window stopped early (over-saturated), if it did.
        var saturated: String?
    }

    let client: StreamingClient
    let configuration: BenchConfiguration
    let entries: [CorpusEntry]
    let bodies: [Foundation.Data]
    let tracker: ProgressTracker
    /// Reads the server's queue depth when metrics are scraped (for the saturation rule).
    let serverQueue: (@Sendable () -> Double?)?
    /// The next entry; entries are cycled in order across windows.
    var cursor = 0
    /// Sessions started so far (their ids are `s1`, `s2`, ...).
    var sessionsStarted = 0
    /// A trace's sessions: the history each has so far.
    let histories = SessionHistories()

    init(
        client: StreamingClient, configuration: BenchConfiguration, workload: Workload, tracker: ProgressTracker,
        serverQueue: (@Sendable () -> Double?)? = nil
    ) {
        self.client = client
        self.configuration = configuration
        entries = workload.entries
        bodies = workload.entries.map { WireRequest(entry: $0, configuration: configuration).body() }
        self.tracker = tracker
        self.serverQueue = serverQueue
    }

    /// Whether the workload hangs up on request `seq` of window `step`: a seeded draw per request.
    func hangUp(step: Int, seq: Int) -> BenchConfiguration.CancelAfter? {
        guard step >= 0, configuration.cancelFraction > 0, let after = configuration.cancelAfter else { return nil }
        var rng = SeededGenerator(
            seed: WorkloadBuilder.seed(configuration.promptSeed, 6, step &* 1_000_003 &+ seq))
        return rng.nextUnitOpen() < configuration.cancelFraction ? after : nil
    }

    /// The body of entry `index`; an entry of a trace's session carries that session's history.
    func body(_ index: Int) -> Foundation.Data {
        let entry = entries[index]
        guard let session = entry.session else { return bodies[index] }
        let history = histories.history(session)
        guard !history.isEmpty else { return bodies[index] }
        var turn = entry
        turn.messages = history + entry.chatMessages.filter { $0.role != "system" }
        if let system = entry.chatMessages.first(where: { $0.role == "system" }) {
            turn.messages!.insert(system, at: 0)
        }
        turn.prompt = nil
        return WireRequest(entry: turn, configuration: configuration).body()
    }

    mutating func run(
        step: Int, pattern: LoadScheduler.Pattern, requests: Int?, duration: Duration?, rate: Double? = nil
    ) async -> Window {
        let start = MonotonicInstant.now()
        var scheduler = LoadScheduler(pattern: pattern, start: start, requests: requests, duration: duration)
        if step >= 0 { tracker.startWindow(total: requests, now: start) }
        var records: [RequestRecord] = []
        let client = self.client
        let tracker = self.tracker
        let count = entries.count
        var cursor = self.cursor
        let measured = step >= 0
        let driver = self
        var detector = rate.map { SaturationDetector(rate: $0) }
        if !configuration.stopOnSaturation || !measured { detector = nil }
        var nextCheck = 0.5
        var saturated: String?
        // Children are requests (a record) and the open loop's timers (nil): a wait for the next
        // arrival is a wait for whichever comes first, so requests that finish while the loop
        // waits are reaped at once and the requests in flight are counted right.
        await withTaskGroup(of: RequestRecord?.self) { group in
            var stopping = false
            var timerPending = false
            loop: while true {
                let action: LoadScheduler.Action =
                    stopping
                    ? (scheduler.inFlight > 0 ? .awaitCompletion : .finished)
                    : scheduler.nextAction(now: .now())
                switch action {
                case .send(let index, let scheduledAt):
                    let slot = cursor % count
                    let entry = entries[slot]
                    let body = driver.body(slot)
                    let hangUp = driver.hangUp(step: step, seq: index)
                    let keepText = entry.session != nil
                    cursor += 1
                    group.addTask {
                        let record = await client.send(
                            entry, body: body, step: step, seq: index, scheduled: scheduledAt, hangUp: hangUp,
                            keepText: keepText)
                        if let session = entry.session, record.succeeded {
                            driver.histories.append(
                                session, user: entry.promptText, assistant: record.responseText ?? "")
                        }
                        if measured { tracker.finished(record, now: .now()) }
                        var stored = record
                        stored.responseText = nil
                        return stored
                    }
                case .sleep(let until):
                    let now = MonotonicInstant.now()
                    guard until > now else { break }
                    if !timerPending {
                        timerPending = true
                        let wait = min(until - now, .milliseconds(500))
                        group.addTask {
                            try? await Task.sleep(for: wait)
                            return nil
                        }
                    }
                    switch await group.next() {
                    case .some(.some(let record)):
                        records.append(record)
                        scheduler.requestFinished()
                    case .some(.none): timerPending = false
                    case .none: break
                    }
                case .awaitCompletion:
                    while let next = await group.next() {
                        guard let record = next else {
                            timerPending = false
                            continue
                        }
                        records.append(record)
                        scheduler.requestFinished()
                        break
                    }
                case .finished:
                    break loop
                }
                if Task.isCancelled { stopping = true }
                let elapsed = (MonotonicInstant.now() - start).seconds
                if !stopping, detector != nil, elapsed >= nextCheck {
                    nextCheck = elapsed + 0.5
                    let backlog = max(Double(scheduler.inFlight), serverQueue?() ?? 0)
                    if let why = detector!.observe(t: elapsed, backlog: backlog) {
                        saturated = why
                        stopping = true
                        group.cancelAll()
                    }
                }
            }
        }
        self.cursor = cursor
        let end = records.map(\.finished).max() ?? .now()
        return Window(
            records: records, start: start, end: max(end, start), peakInFlight: scheduler.peakInFlight,
            saturated: saturated)
    }

    /// S sessions at once, each sending `turns` requests in order with the whole history and
    /// `think_time_s` between an answer and the next turn; a slot whose session ends starts the
    /// next one, until the window's requests or time run out. A failed or hung-up turn ends its
    /// session (the user left).
    mutating func runSessions(step: Int, requests: Int?, duration: Duration?) async -> Window {
        let start = MonotonicInstant.now()
        if step >= 0 { tracker.startWindow(total: requests, now: start) }
        let c = configuration
        let slots = c.sessions ?? 1
        let budget = SessionBudget(limit: requests, end: duration.map { start + $0 }, firstSession: sessionsStarted)
        let driver = self
        let measured = step >= 0
        let collected = await withTaskGroup(of: [RequestRecord].self) { group in
            for _ in 0..<slots {
                group.addTask { await driver.sessionSlot(step: step, budget: budget, measured: measured) }
            }
            var all: [RequestRecord] = []
            for await records in group { all += records }
            return all
        }
        sessionsStarted = budget.sessionsStarted
        cursor += collected.count
        let end = collected.map(\.finished).max() ?? .now()
        return Window(
            records: collected.sorted { $0.seq < $1.seq }, start: start, end: max(end, start),
            peakInFlight: min(slots, collected.count))
    }

    private func sessionSlot(step: Int, budget: SessionBudget, measured: Bool) async -> [RequestRecord] {
        let c = configuration
        var records: [RequestRecord] = []
        while !Task.isCancelled, let session = budget.nextSession() {
            let first = entries[(session * c.turns) % entries.count]
            var messages: [CorpusEntry.Message] = first.chatMessages.filter { $0.role == "system" }
            for turn in 0..<c.turns {
                guard !Task.isCancelled, let seq = budget.claim() else { return records }
                let user: String
                if turn == 0 {
                    user = first.chatMessages.last { $0.role == "user" }?.content ?? first.promptText
                } else if let turns = first.turns, turn - 1 < turns.count {
                    user = turns[turn - 1]
                } else {
                    let next = entries[(session * c.turns + turn) % entries.count]
                    user = next.chatMessages.last { $0.role == "user" }?.content ?? next.promptText
                }
                messages.append(CorpusEntry.Message(role: "user", content: user))
                var entry = CorpusEntry(
                    id: first.id, messages: messages, maxTokens: first.maxTokens, class: first.class ?? "session")
                entry.session = "s\(session + 1)"
                let body = WireRequest(entry: entry, configuration: c).body()
                var record = await client.send(
                    entry, body: body, step: step, seq: seq, scheduled: .now(), hangUp: hangUp(step: step, seq: seq),
                    keepText: true, turn: turn)
                if measured { tracker.finished(record, now: .now()) }
                let answer = record.responseText ?? ""
                record.responseText = nil
                records.append(record)
                guard record.succeeded else { break }
                messages.append(CorpusEntry.Message(role: "assistant", content: answer))
                if turn + 1 < c.turns, c.thinkTimeSeconds > 0 {
                    do {
                        try await Task.sleep(for: .seconds(clamping: c.thinkTimeSeconds))
                    } catch {
                        return records
                    }
                }
            }
        }
        return records
    }
}

/// What a trace's sessions have said so far: each completed turn's user message and answer.
final class SessionHistories: Sendable {
    private let state = Mutex<[String: [CorpusEntry.Message]]>([:])

    func history(_ session: String) -> [CorpusEntry.Message] { state.withLock { $0[session] ?? [] } }

    func append(_ session: String, user: String, assistant: String) {
        state.withLock {
            $0[session, default: []] += [
                CorpusEntry.Message(role: "user", content: user),
                CorpusEntry.Message(role: "assistant", content: assistant),
            ]
        }
    }
}

/// The requests and time a sessions window has left, shared by its slots.
final class SessionBudget: Sendable {
    private struct State {
        var claimed = 0
        var sessions: Int
    }
    private let state: Mutex<State>
    let limit: Int?
    let end: MonotonicInstant?

    init(limit: Int?, end: MonotonicInstant?, firstSession: Int) {
        self.limit = limit
        self.end = end
        state = Mutex(State(sessions: firstSession))
    }

    private func open(_ s: State) -> Bool {
        (limit.map { s.claimed < $0 } ?? true) && (end.map { MonotonicInstant.now() < $0 } ?? true)
    }

    /// The next session's number, nil when the window is over.
    func nextSession() -> Int? {
        state.withLock { s in
            guard open(s) else { return nil }
            s.sessions += 1
            return s.sessions - 1
        }
    }

    /// The next request's sequence number, nil when the window is over.
    func claim() -> Int? {
        state.withLock { s in
            guard open(s) else { return nil }
            s.claimed += 1
            return s.claimed - 1
        }
    }

    var sessionsStarted: Int { state.withLock { $0.sessions } }
}
