public import InferLabCore
public import InferenceCore

/// One request as the client and the server recorded it, on the one monotonic clock.
///
/// The client's times come from `inferlab bench` (t_sched, t_send, every SSE event); the
/// server's from the final chunk's `timings` of an InferLab engine (`arrival_ns` ...), joined by
/// the request id the server logged. A llama-server request has no server instants: only its
/// `timings` durations.
public struct RequestLife: Sendable, Equatable {
    /// The server's request id when it sent one, else a label of the client record.
    public var id: String
    /// `t_sched` and `t_send`.
    public var scheduled: MonotonicInstant
    public var sent: MonotonicInstant
    /// Receipt times of the content events (generated text), in order.
    public var contentEvents: [MonotonicInstant]
    /// Receipt time of the last event (`[DONE]`).
    public var lastEvent: MonotonicInstant
    /// The engine's instants of this request; `nil` for a server that does not report them.
    public var server: ServerLife?
    /// `timings.prompt_ms` / `predicted_ms`, for a server without instants (llama-server).
    public var serverPromptMilliseconds: Double?
    public var serverDecodeMilliseconds: Double?

    public init(
        id: String, scheduled: MonotonicInstant, sent: MonotonicInstant, contentEvents: [MonotonicInstant],
        lastEvent: MonotonicInstant, server: ServerLife? = nil, serverPromptMilliseconds: Double? = nil,
        serverDecodeMilliseconds: Double? = nil
    ) {
        self.id = id
        self.scheduled = scheduled
        self.sent = sent
        self.contentEvents = contentEvents
        self.lastEvent = lastEvent
        self.server = server
        self.serverPromptMilliseconds = serverPromptMilliseconds
        self.serverDecodeMilliseconds = serverDecodeMilliseconds
    }
}

/// The engine's record of one request: arrival, admission to a sequence, the first prefill step,
/// the first and the last sampled token.
public struct ServerLife: Sendable, Equatable {
    public var arrival: MonotonicInstant
    public var admitted: MonotonicInstant
    public var prefillStart: MonotonicInstant
    public var firstToken: MonotonicInstant
    public var lastToken: MonotonicInstant

    public init(
        arrival: MonotonicInstant, admitted: MonotonicInstant, prefillStart: MonotonicInstant,
        firstToken: MonotonicInstant, lastToken: MonotonicInstant
    ) {
        self.arrival = arrival
        self.admitted = admitted
        self.prefillStart = prefillStart
        self.firstToken = firstToken
        self.lastToken = lastToken
    }
}

/// An engine step (`StepRecord`, the step log's line) on the clock.
extension StepRecord {
    public var duration: Duration { .microseconds(Int64((durationMilliseconds * 1000).rounded())) }
    public var end: MonotonicInstant { start + duration }

    /// This request's share, if it was in the step.
    public func share(of id: String) -> StepShare? { requests.first { $0.id == id } }
}

/// The OS side of a trial: cumulative counters of the engine process, its cgroup and the system
/// as the probe read them, each at its own reading times (slow readings are taken less often).
public struct OSCounters: Sendable {
    /// A cumulative counter at its reading times, in time order.
    public typealias Series = [(time: MonotonicInstant, value: Double)]

    /// cgroup CPU throttled time (µs) and throttled periods.
    public var throttledMicroseconds: Series = []
    public var throttledPeriods: Series = []
    /// Run-queue wait of the engine process, summed over its threads (ns, schedstat).
    public var runqueueWaitNanoseconds: Series = []
    /// Major page faults of the engine, and the bytes it read from storage.
    public var majorFaults: Series = []
    public var readBytes: Series = []
    /// Pressure stall time (µs): I/O and memory `some`, the cgroup's when it has them.
    public var ioPressureMicroseconds: Series = []
    public var memoryPressureMicroseconds: Series = []
    /// The engine's compute threads (a step waits for the slowest of them).
    public var computeThreads: Int = 1
    /// The CPUs the cgroup's threads run on: the kernel sums throttled time over the CPUs whose
    /// run queues it throttled, so one throttled period counts once per CPU.
    public var throttledCPUs: Int = 1

    public init() {}
}

extension Array where Element == (time: MonotonicInstant, value: Double) {
    /// How much the counter grew over `[from, to]`: each reading interval contributes its growth
    /// in proportion to its overlap (the counter is taken to grow evenly between two readings).
    /// A counter that went down (a reset) contributes nothing.
    public func growth(from: MonotonicInstant, to: MonotonicInstant) -> Double {
        guard to > from, count >= 2 else { return 0 }
        // The first reading interval that ends after `from`.
        var low = 1
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].time <= from { low = middle + 1 } else { high = middle }
        }
        var total = 0.0
        var index = low
        while index < count {
            let (start, end) = (self[index - 1], self[index])
            if start.time >= to { break }
            let span = (end.time - start.time).seconds
            let delta = end.value - start.value
            if span > 0, delta > 0 {
                let overlap = (Swift.min(end.time, to) - Swift.max(start.time, from)).seconds
                if overlap > 0 { total += delta * overlap / span }
            }
            index += 1
        }
        return total
    }
}
