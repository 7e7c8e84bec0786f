public import InferLabCore

/// Who a task that took the CPU from an engine thread was.
public enum RunnerKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// Another thread of the same engine process (more runnable threads than CPUs).
    case engineThread = "engine thread"
    /// A thread of another program.
    case otherProgram = "other program"
    /// A kernel thread (kworker, ksoftirqd, rcu, migration).
    case kernelThread = "kernel thread"
    /// Nothing: the CPU went idle while the thread stayed runnable. That is a cgroup's CPU quota
    /// running out (the thread is throttled) or the thread being moved to another CPU.
    case idle = "idle CPU (throttled or migrating)"
}

/// Why a compute thread was late while another waited for it.
public enum LatenessReason: String, Sendable, Codable, Hashable, CaseIterable {
    case preemptedByEngine = "preempted by another engine thread"
    case preemptedByProgram = "preempted by another program"
    case preemptedByKernel = "preempted by a kernel thread"
    case throttled = "throttled (runnable, CPU idle)"
    case runQueue = "woken, waiting in the run queue"
    case uninterruptible = "uninterruptible (page fault or I/O)"

    init(preemptedBy kind: RunnerKind) {
        switch kind {
        case .engineThread: self = .preemptedByEngine
        case .otherProgram: self = .preemptedByProgram
        case .kernelThread: self = .preemptedByKernel
        case .idle: self = .throttled
        }
    }
}

/// The scheduler's view of one process's threads over a window, from `sched_switch` and
/// `sched_wakeup` events (`SchedTrace`): per thread, run-queue latency (what bcc's runqlat
/// measures: from a wakeup, or from being preempted while runnable, to running again), off-CPU
/// time by state, and who ran instead when it was preempted; for the compute threads together,
/// the time one of them was late while another waited for it (the straggler at llama.cpp's
/// barriers).
public struct SchedAnalysis: Sendable, Codable, Equatable {
    /// The traced window, in milliseconds.
    public var windowMs: Double
    public var threads: [ThreadView]
    /// The threads treated as the engine's compute threads (those that did a tenth or more of
    /// the busiest one's on-CPU time): the threads of llama.cpp's barriers.
    public var computeThreads: [Int32]
    public var barrier: BarrierView

    enum CodingKeys: String, CodingKey {
        case threads, barrier
        case windowMs = "window_ms"
        case computeThreads = "compute_threads"
    }

    /// One thread's scheduling.
    public struct ThreadView: Sendable, Codable, Equatable {
        public var tid: Int32
        public var name: String
        public var onCPUMs: Double
        /// Times it left the CPU, and of those, times it was preempted (left it runnable).
        public var switches: Int
        public var preemptions: Int
        public var runQueueLatency: LatencyHistogram
        public var offCPU: OffCPU
        /// Who ran instead when it was preempted, most time first.
        public var preemptedBy: [Runner]

        enum CodingKeys: String, CodingKey {
            case tid, name, switches, preemptions
            case onCPUMs = "on_cpu_ms"
            case runQueueLatency = "run_queue_latency"
            case offCPU = "off_cpu_ms"
            case preemptedBy = "preempted_by"
        }
    }

    /// Off-CPU time by the state the thread was in, in milliseconds.
    public struct OffCPU: Sendable, Codable, Equatable {
        /// Asleep until woken (`S`): waiting for work, a lock, a socket.
        public var sleeping = 0.0
        /// Preempted while runnable (`R`), until it ran again.
        public var preempted = 0.0
        /// Woken, waiting in the run queue for a CPU.
        public var runQueueAfterWakeup = 0.0
        /// Uninterruptible (`D`): a page fault or I/O being served.
        public var uninterruptible = 0.0
        /// Other states (stopped, traced, parked).
        public var other = 0.0

        enum CodingKeys: String, CodingKey {
            case sleeping, preempted, uninterruptible, other
            case runQueueAfterWakeup = "run_queue_after_wakeup"
        }
    }

    /// A task that took an engine thread's CPU.
    public struct Runner: Sendable, Codable, Equatable {
        public var name: String
        public var kind: RunnerKind
        public var count: Int
        /// How long the preempted thread waited until it ran again, all of it charged to the task
        /// that took its CPU first (the trace holds only the switches of the engine's threads, so
        /// what ran on that CPU after it is not seen).
        public var ms: Double
    }

    /// Run-queue latency: log2 buckets in microseconds (bcc's runqlat), and percentiles.
    public struct LatencyHistogram: Sendable, Codable, Equatable {
        public var count: Int
        public var p50Us: Double
        public var p90Us: Double
        public var p99Us: Double
        public var maxUs: Double
        public var buckets: [Bucket]

        public struct Bucket: Sendable, Codable, Equatable {
            public var lowUs: Double
            public var highUs: Double
            public var count: Int

            enum CodingKeys: String, CodingKey {
                case count
                case lowUs = "low_us"
                case highUs = "high_us"
            }
        }

        enum CodingKeys: String, CodingKey {
            case count, buckets
            case p50Us = "p50_us"
            case p90Us = "p90_us"
            case p99Us = "p99_us"
            case maxUs = "max_us"
        }

        public init(latencies: [Duration]) {
            let micros = latencies.map { $0.milliseconds * 1000 }
            let summary = PercentileSummary.of(micros)
            count = micros.count
            p50Us = summary?.p50 ?? 0
            p90Us = summary?.p90 ?? 0
            p99Us = summary?.p99 ?? 0
            maxUs = summary?.max ?? 0
            var counts: [Int: Int] = [:]
            for value in micros {
                var bucket = 0
                while Double(1 << bucket) <= value && bucket < 40 { bucket += 1 }
                counts[bucket, default: 0] += 1
            }
            let top = counts.keys.max() ?? -1
            buckets =
                top < 0
                ? []
                : (0...top).map { bucket in
                    Bucket(
                        lowUs: bucket == 0 ? 0 : Double(1 << (bucket - 1)), highUs: Double(1 << bucket),
                        count: counts[bucket] ?? 0)
                }
        }
    }

    /// The compute threads' lateness: time during which one of them was not running though it
    /// had work (preempted, woken but queued, or in `D`) while another ran or slept until it woke
    /// it. With llama.cpp's threads meeting at a barrier after every graph node, that is the time
    /// the first-finished waited for the last.
    public struct BarrierView: Sendable, Codable, Equatable {
        /// The straggling time, in milliseconds.
        public var stragglerMs: Double
        /// Of the compute threads' busy wall time (any of them running, or one straggling).
        public var share: Double
        /// The compute threads' busy wall time, in milliseconds.
        public var busyMs: Double
        /// The straggling time by why the late thread was late, most first.
        public var reasons: [Reason]
        /// Per decode step, when the steps are known: the straggling time inside each.
        public var steps: StepStraggling?

        public struct Reason: Sendable, Codable, Equatable {
            public var reason: LatenessReason
            public var ms: Double
            public var share: Double
        }

        public struct StepStraggling: Sendable, Codable, Equatable {
            public var count: Int
            /// Straggling of all steps over their duration.
            public var share: Double
            public var p50Ms: Double
            public var p99Ms: Double
            public var maxMs: Double
            /// Steps with at least a millisecond of straggling.
            public var stepsOverOneMs: Int
            /// Each step's straggling in milliseconds, in the order of the steps given.
            public var perStepMs: [Double]

            enum CodingKeys: String, CodingKey {
                case count, share
                case p50Ms = "p50_ms"
                case p99Ms = "p99_ms"
                case maxMs = "max_ms"
                case stepsOverOneMs = "steps_over_1ms"
                case perStepMs = "per_step_ms"
            }
        }

        enum CodingKeys: String, CodingKey {
            case share, reasons, steps
            case stragglerMs = "straggler_ms"
            case busyMs = "busy_ms"
        }
    }
}

extension SchedAnalysis {
    /// Analyses `events` for the threads `threads` (tid to name) over `window`; `kind` says who
    /// a task that is not one of them is, `steps` are the decode steps when known.
    public init(
        events: [SchedEvent], threads: [Int32: String], window: Range<MonotonicInstant>,
        kind: (TraceTask) -> RunnerKind, steps: [Range<MonotonicInstant>] = []
    ) {
        var states: [Int32: ThreadState] = [:]
        for tid in threads.keys { states[tid] = ThreadState(start: window.lowerBound) }
        func runner(_ task: TraceTask) -> RunnerKind {
            if task.isIdle { return .idle }
            return threads[task.pid] != nil ? .engineThread : kind(task)
        }
        for event in events where window.contains(event.time) {
            switch event {
            case .switched(let time, _, let previous, let state, let next):
                if states[previous.pid] != nil {
                    states[previous.pid]!.leave(at: time, state: state, next: next, kind: runner(next))
                }
                if states[next.pid] != nil { states[next.pid]!.enter(at: time) }
            case .woken(let time, _, let waker, let task), .created(let time, _, let waker, let task):
                if states[task.pid] != nil { states[task.pid]!.wake(at: time, by: waker.pid) }
            }
        }
        for tid in states.keys { states[tid]!.finish(at: window.upperBound) }

        windowMs = (window.upperBound - window.lowerBound).milliseconds
        self.threads = states.keys.sorted().map { tid in
            states[tid]!.view(tid: tid, name: threads[tid] ?? "")
        }.sorted { $0.onCPUMs > $1.onCPUMs || ($0.onCPUMs == $1.onCPUMs && $0.tid < $1.tid) }
        let busiest = self.threads.first?.onCPUMs ?? 0
        let compute = self.threads.filter { busiest > 0 && $0.onCPUMs >= busiest / 10 }.map(\.tid)
        computeThreads = compute.sorted()
        barrier = BarrierView(compute: compute, states: states, steps: steps)
    }
}

extension SchedAnalysis.BarrierView {
    fileprivate init(compute: [Int32], states: [Int32: ThreadState], steps: [Range<MonotonicInstant>]) {
        var straggling = Intervals()
        var byReason: [LatenessReason: Duration] = [:]
        var running = Intervals()
        for tid in compute {
            guard let state = states[tid] else { continue }
            running = running.union(state.running)
            // Another compute thread ran (working, or spinning at the barrier) or slept until this
            // one woke it.
            var others = Intervals()
            for other in compute where other != tid {
                guard let otherState = states[other] else { continue }
                others = others.union(otherState.running).union(otherState.waitingFor[tid] ?? Intervals())
            }
            for (reason, late) in state.late {
                let waited = late.intersection(others)
                byReason[reason, default: .zero] += waited.total
                straggling = straggling.union(waited)
            }
        }
        let busy = running.union(straggling).total
        let total = straggling.total
        stragglerMs = total.milliseconds
        busyMs = busy.milliseconds
        share = busy > .zero ? total / busy : 0
        let sum = byReason.values.reduce(Duration.zero, +)
        reasons = byReason.filter { $0.value > .zero }.map {
            Reason(reason: $0.key, ms: $0.value.milliseconds, share: sum > .zero ? $0.value / sum : 0)
        }.sorted { $0.ms > $1.ms || ($0.ms == $1.ms && $0.reason.rawValue < $1.reason.rawValue) }
        if steps.isEmpty {
            self.steps = nil
        } else {
            let perStep = steps.map { straggling.overlap(with: $0) }
            let stepTime = steps.reduce(Duration.zero) { $0 + ($1.upperBound - $1.lowerBound) }
            let summary = PercentileSummary.of(perStep.map(\.milliseconds))
            self.steps = StepStraggling(
                count: steps.count, share: stepTime > .zero ? perStep.reduce(.zero, +) / stepTime : 0,
                p50Ms: summary?.p50 ?? 0, p99Ms: summary?.p99 ?? 0, maxMs: summary?.max ?? 0,
                stepsOverOneMs: perStep.filter { $0 >= .milliseconds(1) }.count,
                perStepMs: perStep.map { ($0.milliseconds * 1000).rounded() / 1000 })
        }
    }
}

/// One thread's state machine over the events.
private struct ThreadState {
    /// Where the thread is: on a CPU since an instant, or off it.
    enum Place {
        /// Not seen yet: it ran or slept before the first event.
        case unknown
        case running(since: MonotonicInstant)
        case off(since: MonotonicInstant, state: TaskState, woken: (at: MonotonicInstant, by: Int32)?, by: Runner?)
    }

    struct Runner {
        var task: TraceTask
        var kind: RunnerKind
    }

    var place: Place = .unknown
    let start: MonotonicInstant
    var running = Intervals()
    var onCPU = Duration.zero
    var switches = 0
    var preemptions = 0
    var runQueue: [Duration] = []
    var offCPU = SchedAnalysis.OffCPU()
    /// By name and kind: the same name can be an engine thread and another program's
    /// (`oot.default-qos` is every Swift program's concurrency thread).
    var preemptedBy: [String: (name: String, kind: RunnerKind, count: Int, time: Duration)] = [:]
    /// When it was late: had work but no CPU, by why.
    var late: [LatenessReason: Intervals] = [:]
    /// When it slept until the thread of the key woke it.
    var waitingFor: [Int32: Intervals] = [:]

    init(start: MonotonicInstant) { self.start = start }

    mutating func leave(at time: MonotonicInstant, state: TaskState, next: TraceTask, kind: RunnerKind) {
        switch place {
        case .running(let since):
            onCPU += time - since
            running.append(since, time)
        case .unknown:
            onCPU += time - start
            running.append(start, time)
        case .off:
            break  // a lost event: take this one as the truth
        }
        switches += 1
        if state == .runnable { preemptions += 1 }
        place = .off(
            since: time, state: state, woken: nil, by: state == .runnable ? Runner(task: next, kind: kind) : nil)
    }

    mutating func wake(at time: MonotonicInstant, by waker: Int32) {
        guard case .off(let since, let state, nil, let by) = place, state != .runnable else { return }
        place = .off(since: since, state: state, woken: (time, waker), by: by)
    }

    mutating func enter(at time: MonotonicInstant) {
        closeOff(at: time, ranAgain: true)
        place = .running(since: time)
    }

    mutating func finish(at end: MonotonicInstant) {
        switch place {
        case .running(let since):
            onCPU += end - since
            running.append(since, end)
        case .unknown, .off:
            closeOff(at: end, ranAgain: false)
        }
        running.normalize()
        for reason in late.keys { late[reason]!.normalize() }
        for tid in waitingFor.keys { waitingFor[tid]!.normalize() }
    }

    /// Books an off-CPU stretch ending at `time`.
    private mutating func closeOff(at time: MonotonicInstant, ranAgain: Bool) {
        guard case .off(let since, let state, let woken, let by) = place else { return }
        switch state {
        case .runnable:
            offCPU.preempted += (time - since).milliseconds
            if ranAgain { runQueue.append(time - since) }
            if let by {
                let name = by.kind == .idle ? "idle" : by.task.comm
                let key = name + "\u{0}" + by.kind.rawValue
                var entry = preemptedBy[key] ?? (name, by.kind, 0, .zero)
                entry.count += 1
                entry.time += time - since
                preemptedBy[key] = entry
                late[LatenessReason(preemptedBy: by.kind), default: Intervals()].append(since, time)
            }
        case .sleeping, .uninterruptible, .other:
            let blockedUntil = woken?.at ?? time
            let blocked = (blockedUntil - since).milliseconds
            switch state {
            case .sleeping: offCPU.sleeping += blocked
            case .uninterruptible: offCPU.uninterruptible += blocked
            default: offCPU.other += blocked
            }
            if state == .uninterruptible {
                late[.uninterruptible, default: Intervals()].append(since, blockedUntil)
            }
            if let woken {
                offCPU.runQueueAfterWakeup += (time - woken.at).milliseconds
                if ranAgain { runQueue.append(time - woken.at) }
                late[.runQueue, default: Intervals()].append(woken.at, time)
                if state == .sleeping { waitingFor[woken.by, default: Intervals()].append(since, woken.at) }
            }
        }
        place = .unknown
    }

    func view(tid: Int32, name: String) -> SchedAnalysis.ThreadView {
        SchedAnalysis.ThreadView(
            tid: tid, name: name, onCPUMs: onCPU.milliseconds, switches: switches, preemptions: preemptions,
            runQueueLatency: .init(latencies: runQueue), offCPU: offCPU,
            preemptedBy: preemptedBy.values.map {
                SchedAnalysis.Runner(name: $0.name, kind: $0.kind, count: $0.count, ms: $0.time.milliseconds)
            }.sorted { $0.ms > $1.ms || ($0.ms == $1.ms && $0.name < $1.name) })
    }
}
