public import Constraints
import Foundation
public import InferLabCore
import SystemProbe

/// The machine around a process over a window: the hypervisor's steal and other programs' CPU,
/// next to the process's own (on a shared VM both are real sources of jitter).
public struct MachineView: Sendable, Codable, Equatable {
    public var cpus: Int
    /// Of all CPU time, the share the hypervisor gave to other guests (`/proc/stat` steal).
    public var stealShare: Double
    /// CPUs' worth of time the process used.
    public var processCores: Double
    /// CPUs' worth of busy time that was not the process's (other programs, the kernel).
    public var otherCores: Double

    enum CodingKeys: String, CodingKey {
        case cpus
        case stealShare = "steal_share"
        case processCores = "process_cores"
        case otherCores = "other_cores"
    }

    /// The counters the view is the difference of.
    public struct Counters: Sendable {
        var cpu: CPUTimes?
        var processTicks: UInt64?
        var time: MonotonicInstant

        public static func read(pid: Int32) -> Counters {
            let stat = ProcFS.read("/proc/\(pid)/stat").flatMap { try? ProcessStat.parse($0) }
            return Counters(
                cpu: ProcFS.read("/proc/stat").flatMap { try? CPUTimes.parse($0) },
                processTicks: stat.map { $0.utimeTicks + $0.stimeTicks }, time: .now())
        }
    }

    /// `nil` when a reading is missing: a process that ended inside the window has no end ticks
    /// (taking them as 0 made "this process" 7e16 cores).
    public init?(from start: Counters, to end: Counters) {
        guard let first = start.cpu, let last = end.cpu, last.total > first.total,
            let startTicks = start.processTicks, let endTicks = end.processTicks, endTicks >= startTicks
        else { return nil }
        let seconds = (end.time - start.time).seconds
        guard seconds > 0 else { return nil }
        let ticks = Double(last.total - first.total)
        let cpus = max(1, Int((ticks / ProcFS.ticksPerSecond / seconds).rounded()))
        let process = Double(endTicks - startTicks) / ProcFS.ticksPerSecond / seconds
        let busy = Double(last.busy - first.busy) / ProcFS.ticksPerSecond / seconds
        self.cpus = cpus
        stealShare = Double(last.steal - first.steal) / ticks
        processCores = process
        otherCores = max(0, busy - process)
    }
}

/// What `inferlab profile` writes as `sched.json`: the scheduler's view of a process's threads
/// (`SchedAnalysis`), the machine around it, or why it could not be taken.
public struct SchedReport: Sendable, Codable, Equatable {
    public var pid: Int32
    /// Whether the trace was taken; when not, `reason` says why ("not applied").
    public var applied: Bool
    public var reason: String?
    /// Events the ring buffer dropped (the analysis misses them).
    public var lostEvents: Int
    public var machine: MachineView?
    public var analysis: SchedAnalysis?

    enum CodingKeys: String, CodingKey {
        case pid, applied, reason, machine
        case lostEvents = "lost_events"
    }

    public init(
        pid: Int32, applied: Bool, reason: String? = nil, lostEvents: Int = 0, machine: MachineView? = nil,
        analysis: SchedAnalysis? = nil
    ) {
        self.pid = pid
        self.applied = applied
        self.reason = reason
        self.lostEvents = lostEvents
        self.machine = machine
        self.analysis = analysis
    }

    /// The analysis's keys sit beside the report's own (`threads`, `barrier`, ...).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pid, forKey: .pid)
        try container.encode(applied, forKey: .applied)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encode(lostEvents, forKey: .lostEvents)
        try container.encodeIfPresent(machine, forKey: .machine)
        try analysis?.encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pid = try container.decode(Int32.self, forKey: .pid)
        applied = try container.decode(Bool.self, forKey: .applied)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        lostEvents = try container.decodeIfPresent(Int.self, forKey: .lostEvents) ?? 0
        machine = try container.decodeIfPresent(MachineView.self, forKey: .machine)
        analysis = applied ? try SchedAnalysis(from: decoder) : nil
    }
}

/// Traces the scheduler events of a process's threads from `start` to `finish` in a private
/// tracefs instance (`TraceSession`).
public final class SchedCapture: Sendable {
    /// The events the capture enables.
    public static let events = ["sched/sched_switch", "sched/sched_wakeup", "sched/sched_wakeup_new"]

    public let pid: Int32
    private let session: TraceSession
    private let counters: MachineView.Counters
    private let started: MonotonicInstant
    /// The process's threads when tracing began (it may have ended by `finish`).
    private let threadsAtStart: [Int32: String]

    private init(pid: Int32, session: TraceSession, counters: MachineView.Counters) {
        self.pid = pid
        self.session = session
        self.counters = counters
        threadsAtStart = KernelFile.threadNames(of: pid)
        started = .now()
    }

    /// Starts tracing `pid`'s threads (and the threads they start).
    public static func start(pid: Int32, lease: RunLease = .current) throws(TraceError) -> SchedCapture {
        let session = try TraceSession.open(events: events, pids: [pid], lease: lease)
        return SchedCapture(pid: pid, session: session, counters: .read(pid: pid))
    }

    /// Stops, analyses what was recorded (with the decode steps, when known) and removes the
    /// instance (and the private mount). Call once.
    public func finish(steps: [Range<MonotonicInstant>] = []) -> SchedReport {
        session.stop()
        let ended = MonotonicInstant.now()
        let machine = MachineView(from: counters, to: .read(pid: pid))
        let text = session.read()
        let lost = session.overruns
        session.close()
        let events = SchedTrace.parse(text)
        // The threads at the start and now (names as they are now: the engine names its workers
        // after its first decodes), those it started meanwhile (woken new by one of them), and for
        // the threads that have ended, the last name the trace saw.
        let alive = KernelFile.threadNames(of: pid)
        var names = threadsAtStart.merging(alive) { $1 }
        for event in events {
            switch event {
            case .created(_, _, let parent, let task) where names[parent.pid] != nil && names[task.pid] == nil:
                names[task.pid] = task.comm
            case .switched(_, _, let previous, _, _)
            where names[previous.pid] != nil && alive[previous.pid] == nil && !previous.comm.isEmpty:
                names[previous.pid] = previous.comm
            default: break
            }
        }
        let analysis = SchedAnalysis(
            events: events, threads: names, window: started..<ended, kind: Self.kind, steps: steps)
        return SchedReport(pid: pid, applied: true, lostEvents: lost, machine: machine, analysis: analysis)
    }

    /// Removes the instance without analysing (an error path).
    public func cancel() { session.close() }

    /// Whether a task that is not the process's is a kernel thread or another program: a kernel
    /// thread has no executable; a task that has ended is judged by its name.
    static func kind(_ task: TraceTask) -> RunnerKind {
        if FileManager.default.fileExists(atPath: "/proc/\(task.pid)") {
            var buffer = [CChar](repeating: 0, count: 256)
            return readlink("/proc/\(task.pid)/exe", &buffer, buffer.count) < 0 && errno == ENOENT
                ? .kernelThread : .otherProgram
        }
        let kernelNames = [
            "kworker", "ksoftirqd", "migration", "rcu_", "kthreadd", "irq/", "watchdog", "cpuhp", "kcompactd",
            "kswapd", "khugepaged", "jbd2", "scsi_", "idle_inject",
        ]
        return kernelNames.contains { task.comm.hasPrefix($0) } ? .kernelThread : .otherProgram
    }
}

extension SchedReport {
    /// A few lines for the terminal.
    public var summary: [String] {
        guard applied, let analysis else { return ["sched: not applied: \(reason ?? "unknown")"] }
        var lines: [String] = []
        let compute = analysis.threads.filter { analysis.computeThreads.contains($0.tid) }
        for thread in compute {
            let by = thread.preemptedBy.first.map { ", most by \($0.name) (\($0.kind.rawValue))" } ?? ""
            lines.append(
                String(
                    format: "sched: %@ %d: on CPU %.0f ms, run-queue latency p50 %.0f us p99 %.0f us max %.0f us, "
                        + "preempted %d times%@", thread.name, thread.tid, thread.onCPUMs, thread.runQueueLatency.p50Us,
                    thread.runQueueLatency.p99Us, thread.runQueueLatency.maxUs, thread.preemptions, by))
        }
        let barrier = analysis.barrier
        let reason = barrier.reasons.first.map { "; mostly \($0.reason.rawValue)" } ?? ""
        lines.append(
            String(
                format: "barrier: compute threads straggled %.1f ms of %.0f ms busy (%.1f %%)%@", barrier.stragglerMs,
                barrier.busyMs, 100 * barrier.share, reason))
        if let machine {
            lines.append(
                String(
                    format: "machine: %d CPUs, steal %.1f %%, this process %.2f cores, everything else %.2f cores",
                    machine.cpus, 100 * machine.stealShare, machine.processCores, machine.otherCores))
        }
        if lostEvents > 0 { lines.append("sched: the trace buffer dropped \(lostEvents) events") }
        return lines
    }
}
