public import InferLabCore
public import InferenceCore

/// Splits each request's latency, and each of its inter-token gaps, into causes (docs/explain.md).
///
/// The engine window of a request (admission → last token) is cut at the engine's steps. A step
/// the request was in is first charged what the OS took from it (CFS throttling, run-queue wait,
/// page-fault stalls, from the counters that grew while it ran); the rest is split by the step
/// cost model into the request's own work and what the other requests' tokens added. A step that
/// ran more than 25 % over its modelled cost with nothing on the OS side to show for it keeps the
/// excess as `unattributed`. The time between steps is engine overhead (or OS, likewise).
public struct Explainer: Sendable {
    /// The trial's steps in time order.
    public let steps: [StepRecord]
    public let cost: StepCostModel?
    public let os: OSCounters
    /// Every request of the trial (to say whom a request queued behind).
    public let requests: [RequestLife]

    /// How far a step may run over its modelled cost before the excess is `unattributed`.
    public static let costTolerance = 0.25

    public init(requests: [RequestLife], steps: [StepRecord], os: OSCounters) {
        self.requests = requests
        self.steps = steps.sorted { $0.start < $1.start }
        self.os = os
        // Fit the cost model on the steps' time less what the OS took from them: under a CPU
        // quota nearly every step is throttled, and the fit must not take throttling for compute.
        let cleaned = self.steps.map { step -> StepRecord in
            var clean = step
            clean.durationMilliseconds -=
                Self.stalls(os, from: step.start, to: step.end, limit: step.durationMilliseconds).total
            return clean
        }
        cost = StepCostModel.fit(cleaned)
    }

    // MARK: The split

    /// The timeline of one request.
    public func timeline(of request: RequestLife) -> Timeline {
        var segments: [Timeline.Segment] = []
        func add(_ from: MonotonicInstant, _ to: MonotonicInstant, _ component: Component) {
            guard to > from else { return }
            var parts = ComponentTimes()
            parts.add(component, (to - from).milliseconds)
            segments.append(.init(start: from, end: to, parts: parts))
        }
        add(request.scheduled, request.sent, .clientLag)
        guard let server = request.server,
            server.arrival >= request.sent, server.lastToken <= request.lastEvent, server.admitted >= server.arrival
        else {
            segments += timingsOnly(request)
            return Timeline(segments: segments)
        }
        add(request.sent, server.arrival, .networkIn)
        // While it queued, the running requests' steps were slowed by the OS as much as its own
        // would have been: that part of the wait is the OS's, the rest is the queue.
        if server.admitted > server.arrival {
            segments.append(osFirst(from: server.arrival, to: server.admitted, then: .queue))
        }
        segments += engineWindow(request.id, from: server.admitted, to: server.lastToken, firstToken: server.firstToken)
        add(server.lastToken, request.lastEvent, .networkOut)
        return Timeline(segments: segments)
    }

    /// The engine window cut at the steps.
    private func engineWindow(
        _ id: String, from: MonotonicInstant, to: MonotonicInstant, firstToken: MonotonicInstant
    ) -> [Timeline.Segment] {
        var segments: [Timeline.Segment] = []
        var cursor = from
        for step in steps(overlapping: from, to) {
            let start = max(step.start, from)
            let end = min(step.end, to)
            if start > cursor { segments.append(gap(from: cursor, to: start)) }
            let whole = split(step, for: id, beforeFirstToken: step.start < firstToken)
            let fraction = step.duration > .zero ? (end - start).milliseconds / step.duration.milliseconds : 0
            var parts = ComponentTimes()
            parts.add(whole, scale: fraction)
            segments.append(.init(start: start, end: end, parts: parts, step: step.index))
            cursor = max(cursor, end)
        }
        if to > cursor { segments.append(gap(from: cursor, to: to)) }
        return segments
    }

    /// Time between steps: OS first, then engine overhead.
    private func gap(from: MonotonicInstant, to: MonotonicInstant) -> Timeline.Segment {
        osFirst(from: from, to: to, then: .engineOverhead)
    }

    /// A segment charged what the OS took from the engine in it, the rest to `component`.
    private func osFirst(from: MonotonicInstant, to: MonotonicInstant, then component: Component) -> Timeline.Segment {
        let length = (to - from).milliseconds
        var parts = Self.stalls(os, from: from, to: to, limit: length)
        parts.add(component, length - parts.total)
        return .init(start: from, end: to, parts: parts)
    }

    /// One whole step from one request's point of view.
    func split(_ step: StepRecord, for id: String, beforeFirstToken: Bool) -> ComponentTimes {
        let length = step.duration.milliseconds
        var parts = Self.stalls(os, from: step.start, to: step.end, limit: length)
        let rest = length - parts.total
        guard rest > 0 else { return parts }
        var model = ComponentTimes()
        let share = step.share(of: id)
        if let cost {
            let modelled = cost.milliseconds(decode: step.decodeTokens, prompt: step.promptTokens)
            switch share {
            case .some(let share) where share.decode > 0:
                model.add(.decodeOwn, cost.soloDecodeMilliseconds)
                model.add(.decodeBatching, cost.perDecodeTokenMilliseconds * Double(step.decodeTokens - 1))
                model.add(.decodeOtherPrefill, cost.perPromptTokenMilliseconds * Double(step.promptTokens))
            case .some(let share) where share.prompt > 0:
                let own = min(modelled, cost.baseMilliseconds + cost.perPromptTokenMilliseconds * Double(share.prompt))
                model.add(.prefillOwn, own)
                model.add(.prefillStretched, modelled - own)
            default:
                model.add(beforeFirstToken ? .prefillWait : .unattributed, modelled)
            }
        } else {
            model.add(share?.decode ?? 0 > 0 ? .decodeOwn : (share?.prompt ?? 0 > 0 ? .prefillOwn : .prefillWait), rest)
        }
        let modelled = model.total
        if modelled > 0 {
            let excess = max(0, rest - modelled * (1 + Self.costTolerance))
            parts.add(model, scale: (rest - excess) / modelled)
            parts.add(.unattributed, excess)
        } else {
            parts.add(.unattributed, rest)
        }
        return parts
    }

    /// A request without the engine's instants (llama-server): `timings` gives the prefill and
    /// decode durations; where they sat, and the queue and network, are not known.
    private func timingsOnly(_ request: RequestLife) -> [Timeline.Segment] {
        var segments: [Timeline.Segment] = []
        let first = request.contentEvents.first ?? request.lastEvent
        let last = request.contentEvents.last ?? request.lastEvent
        func segment(_ from: MonotonicInstant, _ to: MonotonicInstant, known: Component, knownMs: Double?) {
            guard to > from else { return }
            let length = (to - from).milliseconds
            var parts = Self.stalls(os, from: from, to: to, limit: length)
            let stalled = parts.total
            let work = min(max(0, (knownMs ?? 0) - stalled), length - stalled)
            parts.add(known, work)
            parts.add(.unattributed, length - parts.total)
            segments.append(.init(start: from, end: to, parts: parts))
        }
        segment(request.sent, first, known: .prefillOwn, knownMs: request.serverPromptMilliseconds)
        segment(first, last, known: .decodeOwn, knownMs: request.serverDecodeMilliseconds)
        if request.lastEvent > last {
            var parts = ComponentTimes()
            parts.add(.networkOut, (request.lastEvent - last).milliseconds)
            segments.append(.init(start: last, end: request.lastEvent, parts: parts))
        }
        return segments
    }

    // MARK: OS stalls

    /// What the OS took from `[from, to]`, at most `limit` ms in all: the throttled time of the
    /// cgroup (summed by the kernel over the CPUs it throttled, so divided by them), the run-queue
    /// wait of the engine's threads beyond that (their sum over the compute threads: a step waits
    /// for its slowest thread; a throttled thread waits on its run queue too, so the throttled
    /// time is taken out of it), and the I/O and memory pressure stall while the engine took major
    /// faults.
    static func stalls(_ os: OSCounters, from: MonotonicInstant, to: MonotonicInstant, limit: Double)
        -> ComponentTimes
    {
        var parts = ComponentTimes()
        guard to > from, limit > 0 else { return parts }
        let throttled = os.throttledMicroseconds.growth(from: from, to: to) / 1000 / Double(max(1, os.throttledCPUs))
        let waited = os.runqueueWaitNanoseconds.growth(from: from, to: to) / 1e6 / Double(max(1, os.computeThreads))
        let runqueue = max(0, waited - throttled)
        var faults = 0.0
        if os.majorFaults.growth(from: from, to: to) > 0 {
            faults =
                (os.ioPressureMicroseconds.growth(from: from, to: to)
                    + os.memoryPressureMicroseconds.growth(from: from, to: to)) / 1000
        }
        let total = throttled + runqueue + faults
        guard total > 0 else { return parts }
        let scale = total > limit ? limit / total : 1
        parts.add(.cfsThrottling, throttled * scale)
        parts.add(.runqueueWait, runqueue * scale)
        parts.add(.faultStalls, faults * scale)
        return parts
    }

    // MARK: Lookup

    /// The steps that overlap `[from, to]`, in order.
    public func steps(overlapping from: MonotonicInstant, _ to: MonotonicInstant) -> ArraySlice<StepRecord> {
        // Steps do not overlap each other: the first one ending after `from` starts the range.
        var low = 0
        var high = steps.count
        while low < high {
            let middle = (low + high) / 2
            if steps[middle].end <= from { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < steps.count && steps[end].start < to { end += 1 }
        return steps[low..<end]
    }
}
