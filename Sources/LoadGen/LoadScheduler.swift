public import InferLabCore

/// When to send the requests of one measured window: a pure state machine on a clock it is
/// given, so it is tested with a fake clock and driven by ``BenchRunner`` with the real one.
///
/// The driver asks ``nextAction(now:)`` and obeys: send a request (stamped with the time the
/// scenario meant to send it), sleep until a time, wait for any request in flight to finish
/// (then call ``requestFinished()``), or stop.
public struct LoadScheduler: Sendable {
    /// How arrivals are generated.
    public enum Pattern: Sendable {
        /// N users, each sending its next request when its last one ends.
        case closed(concurrency: Int)
        /// Open loop at a rate, with an optional cap on requests in flight (arrivals beyond it
        /// wait in the client, and their lag shows).
        case open(ArrivalProcess, maxConcurrency: Int?, rampUp: Duration? = nil)
        /// Each request at its own offset from the window's start (a trace replayed), in order.
        case scheduled([Duration])
        /// Every request at once (optionally capped).
        case offline(maxConcurrency: Int?)
    }

    /// What the driver does next.
    public enum Action: Equatable, Sendable {
        /// Send request number `index` (0-based in this window); `scheduledAt` is `t_sched`.
        case send(index: Int, scheduledAt: MonotonicInstant)
        /// Sleep until this time, then ask again.
        case sleep(until: MonotonicInstant)
        /// Wait until one request in flight finishes, call ``requestFinished()``, ask again.
        case awaitCompletion
        /// The window is over: nothing in flight, nothing more to send.
        case finished
    }

    public let pattern: Pattern
    /// The window's start.
    public let start: MonotonicInstant
    /// The most requests to send, if bounded.
    public let requestLimit: Int?
    /// No request is sent at or after this time, if bounded.
    public let end: MonotonicInstant?
    /// Requests sent and not yet finished.
    public private(set) var inFlight = 0
    /// Requests sent so far.
    public private(set) var sent = 0
    /// The largest `inFlight` seen.
    public private(set) var peakInFlight = 0
    private var nextArrival: MonotonicInstant
    private var arrivals: ArrivalProcess?
    /// Seconds of arrivals at the full rate so far; a ramp maps them onto the clock.
    private var fullRateTime = 0.0
    private var rampSeconds: Double?

    /// A window starting at `start`, bounded by `requests`, `duration`, or both (whichever ends
    /// first). One of them must be given.
    public init(pattern: Pattern, start: MonotonicInstant, requests: Int?, duration: Duration?) {
        precondition(requests != nil || duration != nil, "a window needs a request count or a duration")
        self.pattern = pattern
        self.start = start
        requestLimit = requests
        end = duration.map { start + $0 }
        nextArrival = start
        switch pattern {
        case .open(let process, _, let ramp):
            arrivals = process
            rampSeconds = ramp.map(\.seconds)
            nextArrival = advanceArrival()
        case .scheduled(let offsets):
            nextArrival = start + (offsets.first ?? .zero)
        default: break
        }
    }

    /// The next open-loop arrival: gaps of the process in full-rate time, mapped through the
    /// ramp. A rate rising linearly from 0 to r over D has cumulative arrivals r·t²/(2D) until
    /// D, then r·(t − D/2); inverting that maps full-rate time τ to the clock.
    private mutating func advanceArrival() -> MonotonicInstant {
        guard let rampSeconds else {
            // No ramp: the gaps summed to the nanosecond, as the process draws them.
            return nextArrival + arrivals!.nextGap()
        }
        fullRateTime += arrivals!.nextInterval()
        return start + .seconds(clamping: Self.ramped(fullRateTime, over: rampSeconds))
    }

    /// Clock time (s after the start) of full-rate time `tau` under a linear ramp over `ramp` s.
    static func ramped(_ tau: Double, over ramp: Double?) -> Double {
        guard let ramp, ramp > 0 else { return tau }
        return tau < ramp / 2 ? (2 * ramp * tau).squareRoot() : tau + ramp / 2
    }

    private var budgetLeft: Bool { requestLimit.map { sent < $0 } ?? true }

    /// The next step at time `now`.
    public mutating func nextAction(now: MonotonicInstant) -> Action {
        switch pattern {
        case .closed(let concurrency):
            guard budgetLeft, end.map({ now < $0 }) ?? true else { return drain() }
            if inFlight < concurrency { return send(scheduledAt: now) }
            return .awaitCompletion
        case .offline(let cap):
            guard budgetLeft, end.map({ now < $0 }) ?? true else { return drain() }
            if let cap, inFlight >= cap { return .awaitCompletion }
            return send(scheduledAt: start)
        case .open(_, let cap, _):
            guard budgetLeft, end.map({ nextArrival < $0 }) ?? true else { return drain() }
            if now < nextArrival { return .sleep(until: nextArrival) }
            if let cap, inFlight >= cap { return .awaitCompletion }
            let scheduled = nextArrival
            nextArrival = advanceArrival()
            return send(scheduledAt: scheduled)
        case .scheduled(let offsets):
            guard budgetLeft, sent < offsets.count, end.map({ nextArrival < $0 }) ?? true else { return drain() }
            if now < nextArrival { return .sleep(until: nextArrival) }
            let scheduled = nextArrival
            if sent + 1 < offsets.count { nextArrival = start + offsets[sent + 1] }
            return send(scheduledAt: scheduled)
        }
    }

    /// Tells the scheduler one request in flight finished.
    public mutating func requestFinished() {
        precondition(inFlight > 0, "requestFinished() without a request in flight")
        inFlight -= 1
    }

    private mutating func send(scheduledAt: MonotonicInstant) -> Action {
        let index = sent
        sent += 1
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
        return .send(index: index, scheduledAt: scheduledAt)
    }

    private func drain() -> Action { inFlight > 0 ? .awaitCompletion : .finished }
}
