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
/// iterating. Timestamps are `MonotonicClock` nanoseconds; the first sample has no rates.
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
                deliver: { batch in for item in batch { continuation.yield(item) } },
                finish: { continuation.finish() })
            continuation.onTermination = { _ in stop.flag.store(true, ordering: .relaxed) }
        }
    }

    /// The samples of `samples()` in the batches the sampler hands over (one element per
    /// `deliveryMilliseconds`): one wake-up of the consumer per batch instead of per sample, for a
    /// consumer at 100 Hz that writes them out. At most 1024 unconsumed batches are buffered.
    public func batches() -> AsyncStream<[ProbeSample]> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1024)) { continuation in
            let stop = start(deliver: { continuation.yield($0) }, finish: { continuation.finish() })
            continuation.onTermination = { _ in stop.flag.store(true, ordering: .relaxed) }
        }
    }

    /// Starts the sampling thread; it hands batches to `deliver` and calls `finish` at the end.
    private func start(
        deliver: @escaping @Sendable ([ProbeSample]) -> Void, finish: @escaping @Sendable () -> Void
    ) -> SamplerStopFlag {
        let sampler = self
        let stop = SamplerStopFlag()
        let thread = Thread {
            // Hand samples over in batches at most every `deliveryMilliseconds`: each hand-over
            // wakes the consumer's task (a futex wake and two context switches, ~100 us under
            // load), which at 10 ms cost as much as the sampling itself.
            var gate = IntervalGate(
                intervalMilliseconds: Self.deliveryMilliseconds,
                samplingMilliseconds: sampler.configuration.intervalMilliseconds)
            var pending: [ProbeSample] = []
            sampler.loop(stop: stop) { sample in
                pending.append(sample)
                if gate.take(MonotonicClock.now()) || sample.event == "exit" {
                    deliver(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if !pending.isEmpty { deliver(pending) }
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
        let start = MonotonicClock.now()
        return ProbeSample.derive(reader.snapshot(), previous: nil, start: start, ticksPerSecond: ProcFS.ticksPerSecond)
    }

    private func loop(stop: SamplerStopFlag, _ emit: (ProbeSample) -> Void) {
        let reader = ProbeReader(configuration: configuration, cgroup: cgroup)
        let start = MonotonicClock.now()
        let interval = UInt64(configuration.intervalMilliseconds * 1e6)
        let end = configuration.durationSeconds.map { start + UInt64($0 * 1e9) }
        var previous: ProbeSnapshot?
        var previousSlow: ProbeSnapshot?
        var tick: UInt64 = 0
        while !stop.flag.load(ordering: .relaxed) {
            let now = reader.snapshot()
            if configuration.pid != nil, now.stat == nil || now.stat?.state == "Z" {
                emit(exitSample(now, previous: previous, previousSlow: previousSlow, start: start))
                return
            }
            emit(
                ProbeSample.derive(
                    now, previous: previous, previousSlow: previousSlow, start: start,
                    ticksPerSecond: ProcFS.ticksPerSecond))
            previous = now
            if now.slowFresh { previousSlow = now }
            tick += 1
            let deadline = start + tick * interval
            if let end, deadline > end { return }
            let current = MonotonicClock.now()
            if deadline > current {
                // MonotonicClock reads CLOCK_MONOTONIC: sleep to the absolute deadline on it.
                var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nil) == EINTR {}
            }
        }
    }

    private func exitSample(
        _ now: ProbeSnapshot, previous: ProbeSnapshot?, previousSlow: ProbeSnapshot?, start: UInt64
    ) -> ProbeSample {
        var last = now
        // Keep the final process counters when the process is gone (the slow ones as last read).
        if last.stat == nil, let previous {
            last.stat = previous.stat
            last.sched = previous.sched
        }
        if last.status == nil {
            last.status = previousSlow?.status
            last.io = previousSlow?.io
        }
        last.threads = nil
        var sample = ProbeSample.derive(
            last, previous: previous, previousSlow: previousSlow, start: start, ticksPerSecond: ProcFS.ticksPerSecond)
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

/// Set when the consumer of a sample stream goes away.
final class SamplerStopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
