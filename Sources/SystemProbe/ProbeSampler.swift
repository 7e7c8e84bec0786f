import Foundation
import InferLabCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a process ended.
public struct ProcessExit: Sendable, Codable, Equatable {
    /// The exit code, when it exited normally.
    public var status: Int32?
    /// The signal that killed it, when one did.
    public var signal: Int32?

    public init(status: Int32?, signal: Int32?) {
        self.status = status
        self.signal = signal
    }

    /// Decodes a waitpid(2) status word.
    public static func fromWaitStatus(_ raw: Int32) -> ProcessExit {
        let signal = raw & 0x7f
        return signal == 0
            ? ProcessExit(status: (raw >> 8) & 0xff, signal: nil) : ProcessExit(status: nil, signal: signal)
    }
}

/// Samples a process (and its threads), its cgroup, the system and a file at a fixed interval.
///
/// ```swift
/// let sampler = try ProbeSampler(ProbeConfiguration(pid: pid, filePath: model))
/// for await sample in sampler.samples() { store(sample) }
/// ```
/// The stream ends after `duration_s`, when the process exits (the last sample has
/// `event == "exit"` with the exit status when it can be known), or when the consumer stops
/// iterating. Timestamps are `MonotonicInstant` nanoseconds; the first sample has no rates.
///
/// Cost: every sample reads the process's `stat` and the cgroup's CPU counters; the slow
/// readings (threads with their schedstat, status, io, system, cgroup memory) are taken at most
/// every `slow_interval_ms` (100) and appear only in the samples that took them; the file's residency
/// is measured at most every `residency_interval_ms` (1000) and appears with the slow readings
/// and when measured (see `ProbeConfiguration`). `make bench-probe` measures the cost at 10 ms.
public struct ProbeSampler: Sendable {
    public let configuration: ProbeConfiguration
    /// The cgroup read each sample, if any.
    public let cgroup: CgroupTarget?
    /// Tells how an exited process ended, for a caller that reaps it (the kernel only shows the
    /// status while the process is a zombie). The default reads the zombie's stat.
    public let processExit: (@Sendable () -> ProcessExit?)?

    /// Validates the configuration and resolves the cgroup.
    public init(_ configuration: ProbeConfiguration, processExit: (@Sendable () -> ProcessExit?)? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        self.processExit = processExit
        let pid = configuration.pid ?? Int32(getpid())
        if let target = configuration.pid, !ProcFS.exists("/proc/\(target)/stat") {
            throw ProbeError(.processNotFound, "no process with pid \(target); check the pid with `ps`")
        }
        if configuration.cgroup == "none" {
            cgroup = nil
        } else if configuration.cgroup == nil && configuration.pid == nil {
            cgroup = nil
        } else {
            let location = try ProcFS.cgroupLocation(of: pid)
            guard let target = CgroupTarget.resolve(location: location, path: configuration.cgroup) else {
                throw ProbeError(
                    .invalidConfiguration, "cgroup \(configuration.cgroup ?? "") is not under a cgroup mount")
            }
            if let explicit = configuration.cgroup, !target.directories.contains(where: { ProcFS.exists($0) }) {
                throw ProbeError(.invalidConfiguration, "cgroup \(explicit) does not exist")
            }
            cgroup = target
        }
    }

    /// Samples until the duration ends, the process exits, or the consumer stops.
    ///
    /// The loop runs on its own thread (not the cooperative pool), so busy tasks elsewhere do
    /// not delay samples; at most 4096 unconsumed samples are buffered (the newest are kept).
    /// Samples reach the stream at most every `deliveryMilliseconds` (50 ms; in batches when the
    /// interval is shorter, each with its own timestamp); an exit sample is delivered at once.
    public func samples() -> AsyncStream<ProbeSample> {
        AsyncStream(bufferingPolicy: .bufferingNewest(4096)) { continuation in
            let stop = start(
                deliveryMilliseconds: Self.deliveryMilliseconds,
                deliver: { batch in for item in batch { continuation.yield(item) } },
                finish: { continuation.finish() })
            continuation.onTermination = { _ in stop.flag.store(true, ordering: .relaxed) }
        }
    }

    /// The samples of `samples()` in the batches the sampler hands over, at most one every
    /// `deliveryMilliseconds` (default `Self.deliveryMilliseconds`): one wake-up of the consumer
    /// per batch instead of per sample, for a consumer at 100 Hz that writes them out (a consumer
    /// that only writes a file can take them less often: each wake-up costs a futex and two context
    /// switches). At most 1024 unconsumed batches are buffered.
    public func batches(deliveryMilliseconds: Double = Self.deliveryMilliseconds) -> AsyncStream<[ProbeSample]> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1024)) { continuation in
            let stop = start(
                deliveryMilliseconds: deliveryMilliseconds, deliver: { continuation.yield($0) },
                finish: { continuation.finish() })
            continuation.onTermination = { _ in stop.flag.store(true, ordering: .relaxed) }
        }
    }

    /// Starts the sampling thread; it hands batches to `deliver` and calls `finish` at the end.
    private func start(
        deliveryMilliseconds: Double, deliver: @escaping @Sendable ([ProbeSample]) -> Void,
        finish: @escaping @Sendable () -> Void
    ) -> SamplerStopFlag {
        let sampler = self
        let stop = SamplerStopFlag()
        let thread = Thread {
            // Hand samples over in batches at most every `deliveryMilliseconds`: each hand-over
            // wakes the consumer's task (a futex wake and two context switches, ~100 us under
            // load), which at 10 ms cost as much as the sampling itself. The snapshots are turned
            // into samples at hand-over too, in one warm pass, so that a 10 ms tick only reads
            // and parses (each tick wakes on a CPU the engine keeps busy, with cold caches: the
            // less code it runs, the less it costs).
            var gate = IntervalGate(
                intervalMilliseconds: deliveryMilliseconds,
                samplingMilliseconds: sampler.configuration.intervalMilliseconds)
            var pending: [ProbeSnapshot] = []
            var deriver = SampleDeriver(start: .now())
            func handOver(exit: ProbeSnapshot? = nil) {
                var batch = pending.map { deriver.sample($0) }
                if let exit { batch.append(sampler.exitSample(exit, after: deriver)) }
                pending.removeAll(keepingCapacity: true)
                if !batch.isEmpty { deliver(batch) }
            }
            sampler.loop(stop: stop, start: deriver.start) { snapshot, exited in
                if exited { return handOver(exit: snapshot) }  // an exit sample is delivered at once
                pending.append(snapshot)
                if gate.take(snapshot.time) { handOver() }
            }
            handOver()
            finish()
        }
        thread.name = "inferlab-probe"
        thread.start()
        return stop
    }

    /// How often samples are handed to the stream of `samples()`, in milliseconds.
    public static let deliveryMilliseconds: Double = 50

    /// One sample now (no rates), e.g. for `--once`.
    public func sampleOnce() -> ProbeSample {
        let reader = ProbeReader(configuration: configuration, cgroup: cgroup)
        return ProbeSample.derive(
            reader.snapshot(), previous: nil, start: .now(), ticksPerSecond: ProcFS.ticksPerSecond)
    }

    /// Takes a snapshot every interval and hands it to `emit`; the last one has `exited` set
    /// when the process is gone or a zombie.
    private func loop(stop: SamplerStopFlag, start: MonotonicInstant, _ emit: (ProbeSnapshot, _ exited: Bool) -> Void) {
        let reader = ProbeReader(configuration: configuration, cgroup: cgroup)
        let interval = Duration.seconds(clamping: configuration.intervalMilliseconds / 1000)
        let end = configuration.durationSeconds.map { start + .seconds(clamping: $0) }
        var tick = 0
        while !stop.flag.load(ordering: .relaxed) {
            let now = reader.snapshot()
            if configuration.pid != nil, now.stat == nil || now.stat?.state == "Z" {
                emit(now, true)
                return
            }
            emit(now, false)
            tick += 1
            let deadline = start + interval * tick
            if let end, deadline > end { return }
            if deadline > .now() {
                // MonotonicInstant reads CLOCK_MONOTONIC: sleep to the absolute deadline on it.
                let (seconds, nanoseconds) = deadline.nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
                var until = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
                while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nil) == EINTR {}
            }
        }
    }

    /// The last sample of a process that is gone: the final counters, `event == "exit"` and how
    /// it ended when that can be known. `deriver` has seen every snapshot before `now`.
    private func exitSample(_ now: ProbeSnapshot, after deriver: SampleDeriver) -> ProbeSample {
        var last = now
        // Keep the final process counters when the process is gone (the slow ones as last read).
        if last.stat == nil, let previous = deriver.previous {
            last.stat = previous.stat
            last.sched = previous.sched
        }
        if last.status == nil {
            last.status = deriver.previousSlow?.status
            last.io = deriver.previousSlow?.io
        }
        last.threads = nil
        var final = deriver
        var sample = final.sample(last)
        sample.event = "exit"
        sample.state = "X"
        var exit = processExit?()
        if exit == nil, now.stat?.state == "Z", let code = now.stat?.exitCode {
            exit = ProcessExit.fromWaitStatus(code)
        }
        sample.exitStatus = exit?.status
        sample.exitSignal = exit?.signal
        return sample
    }
}

/// Turns a sampler's snapshots into samples, in order: the fast rates over the snapshot before,
/// the slow ones over the snapshot of the slow readings before.
///
/// The process's `cpu_cores` is the exception: utime and stime count clock ticks (10 ms), so over
/// a 10 ms interval their rate can only read a whole number of cores (0, 1, 2 or 3 for an engine
/// using 1.5). It is taken over at least `cpuWindow` (100 ms) instead: from the newest
/// snapshot at least that old, or the oldest one while the series is younger.
struct SampleDeriver {
    let start: MonotonicInstant
    let ticksPerSecond: Double
    let cpuWindow: Duration
    private(set) var previous: ProbeSnapshot?
    private(set) var previousSlow: ProbeSnapshot?
    /// Recent (time, utime + stime ticks): the first is the baseline of `cpu_cores`.
    private var cpuTicks: [(time: MonotonicInstant, ticks: UInt64)] = []

    init(
        start: MonotonicInstant, ticksPerSecond: Double = ProcFS.ticksPerSecond,
        cpuWindow: Duration = .milliseconds(100)
    ) {
        self.start = start
        self.ticksPerSecond = ticksPerSecond
        self.cpuWindow = cpuWindow
    }

    mutating func sample(_ now: ProbeSnapshot) -> ProbeSample {
        // Keep the newest reading at least a window old, and everything after it.
        while cpuTicks.count >= 2, now.time - cpuTicks[1].time >= cpuWindow {
            cpuTicks.removeFirst()
        }
        let sample = ProbeSample.derive(
            now, previous: previous, previousSlow: previousSlow, start: start, ticksPerSecond: ticksPerSecond,
            cpuSince: cpuTicks.first)
        previous = now
        if now.slowFresh { previousSlow = now }
        if let stat = now.stat { cpuTicks.append((now.time, stat.utimeTicks + stat.stimeTicks)) }
        return sample
    }
}

/// Set when the consumer of a sample stream goes away.
final class SamplerStopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
