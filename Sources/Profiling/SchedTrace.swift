public import InferLabCore

/// A task as the scheduler's trace events name it: its thread id and its 15-character name.
public struct TraceTask: Sendable, Hashable {
    public var pid: Int32
    public var comm: String

    public init(pid: Int32, comm: String) {
        self.pid = pid
        self.comm = comm
    }

    /// pid 0: the CPU's idle task (`swapper/N`).
    public var isIdle: Bool { pid == 0 }
}

/// The state a task left the CPU in (`prev_state` of `sched_switch`).
public enum TaskState: String, Sendable, Codable, Hashable {
    /// Still runnable: preempted (by a task of higher priority, at the end of its slice, or by a
    /// cgroup's quota running out). `R+` is the same with preemption pending.
    case runnable = "R"
    /// Sleeping until woken (a futex, a condition variable, a read on a socket).
    case sleeping = "S"
    /// Uninterruptible: disk I/O or a page fault being served, some locks.
    case uninterruptible = "D"
    /// Idle kernel threads (`I`), stopped or traced (`T`, `t`), dead (`X`, `Z`), parked (`P`).
    case other

    init(field: Substring) {
        switch field.first {
        case "R": self = .runnable
        case "S": self = .sleeping
        case "D": self = .uninterruptible
        default: self = .other
        }
    }
}

/// One scheduler event of a tracefs text trace.
public enum SchedEvent: Sendable, Equatable {
    /// `sched_switch`: `previous` left CPU `cpu` in `state` and `next` started running.
    case switched(time: MonotonicInstant, cpu: Int, previous: TraceTask, state: TaskState, next: TraceTask)
    /// `sched_wakeup`: `waker` (the task running when it fired) made `task` runnable.
    case woken(time: MonotonicInstant, cpu: Int, waker: TraceTask, task: TraceTask)
    /// `sched_wakeup_new`: `parent` started `task` (a new thread or process), runnable.
    case created(time: MonotonicInstant, cpu: Int, parent: TraceTask, task: TraceTask)

    public var time: MonotonicInstant {
        switch self {
        case .switched(let time, _, _, _, _), .woken(let time, _, _, _), .created(let time, _, _, _): time
        }
    }
}

/// Reads the text of a tracefs `trace` file (or `trace_pipe`) recorded with `trace_clock`
/// `mono`, so that its timestamps are `CLOCK_MONOTONIC` readings like the rest of InferLab's.
///
/// A line is `comm-pid [cpu] flags seconds.micros: event: fields`; the name may hold spaces and
/// dashes, so it is read back from the `[cpu]` column, and the fields are read by their keys in
/// the order the kernel prints them (a name may hold `=`).
public enum SchedTrace {
    /// The scheduler events of `text`, in order; other lines (comments, other events, lines
    /// the kernel marked lost) are skipped.
    public static func parse(_ text: String) -> [SchedEvent] {
        var events: [SchedEvent] = []
        for line in text.split(separator: "\n") where line.first != "#" {
            if let event = event(line) { events.append(event) }
        }
        return events
    }

    /// One line's event, or `nil`.
    static func event(_ line: Substring) -> SchedEvent? {
        guard let header = header(line) else { return nil }
        let body = header.body
        if body.hasPrefix("sched_switch: ") {
            guard let previousName = field(body, "prev_comm=", until: " prev_pid="),
                let previousPid = field(body, " prev_pid=", until: " ").flatMap({ Int32($0) }),
                let state = field(body, " prev_state=", until: " "),
                let nextName = field(body, "next_comm=", until: " next_pid="),
                let nextPid = field(body, " next_pid=", until: " ").flatMap({ Int32($0) })
            else { return nil }
            return .switched(
                time: header.time, cpu: header.cpu, previous: TraceTask(pid: previousPid, comm: String(previousName)),
                state: TaskState(field: state), next: TraceTask(pid: nextPid, comm: String(nextName)))
        }
        let isNew = body.hasPrefix("sched_wakeup_new: ")
        if body.hasPrefix("sched_wakeup: ") || isNew {
            guard let name = field(body, "comm=", until: " pid="),
                let pid = field(body, " pid=", until: " ").flatMap({ Int32($0) })
            else { return nil }
            let task = TraceTask(pid: pid, comm: String(name))
            return isNew
                ? .created(time: header.time, cpu: header.cpu, parent: header.task, task: task)
                : .woken(time: header.time, cpu: header.cpu, waker: header.task, task: task)
        }
        return nil
    }

    /// The task, CPU and time of a line, and what follows the timestamp.
    static func header(_ line: Substring) -> (task: TraceTask, cpu: Int, time: MonotonicInstant, body: Substring)? {
        // The CPU column: " [001] ". The name before it may hold brackets, so take the last
        // " [digits] " before the timestamp's ": ".
        guard let timeEnd = line.firstRange(of: ": ") else { return nil }
        let head = line[..<timeEnd.lowerBound]
        guard let open = head.lastIndex(of: "["), let close = head[open...].firstIndex(of: "]"),
            let cpu = Int(head[head.index(after: open)..<close])
        else { return nil }
        let task = head[..<open].trimmingTrailingSpaces().drop { $0 == " " }
        guard let dash = task.lastIndex(of: "-"), let pid = Int32(task[task.index(after: dash)...]) else {
            return nil
        }
        guard let stamp = head[head.index(after: close)...].split(separator: " ").last,
            let time = instant(stamp)
        else { return nil }
        return (TraceTask(pid: pid, comm: String(task[..<dash])), cpu, time, line[timeEnd.upperBound...])
    }

    /// "20022.176093" (seconds and microseconds, the `mono` clock) as an instant, exactly.
    static func instant(_ text: Substring) -> MonotonicInstant? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let seconds = UInt64(parts[0]), !parts[1].isEmpty, parts[1].count <= 9,
            let fraction = UInt64(parts[1])
        else { return nil }
        var scale: UInt64 = 1
        for _ in parts[1].count..<9 { scale *= 10 }
        return MonotonicInstant(nanoseconds: seconds * 1_000_000_000 + fraction * scale)
    }

    /// The text between `key` and the next `terminator` (or the end).
    static func field(_ body: Substring, _ key: String, until terminator: String) -> Substring? {
        guard let start = body.firstRange(of: key)?.upperBound else { return nil }
        let rest = body[start...]
        return rest.firstRange(of: terminator).map { rest[..<$0.lowerBound] } ?? rest
    }
}

extension Substring {
    fileprivate func trimmingTrailingSpaces() -> Substring {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return self[..<end]
    }
}
