import Foundation
import SystemProbe

/// A process told apart from a later one with the same pid by its start time.
public struct ProcessIdentity: Sendable, Codable, Hashable {
    public var pid: Int32
    /// Field 22 of `/proc/<pid>/stat`: clock ticks after boot, fixed at fork, unchanged by `exec`.
    public var startTimeTicks: UInt64

    enum CodingKeys: String, CodingKey {
        case pid, startTimeTicks = "start_time_ticks"
    }

    public init(pid: Int32, startTimeTicks: UInt64) {
        self.pid = pid
        self.startTimeTicks = startTimeTicks
    }
}

/// The processes of this machine, as far as finding and killing leftovers needs them; tests use
/// a table in memory.
public protocol ProcessTable: Sendable {
    /// The identity of a live process; `nil` when there is none or it is a zombie (it has exited
    /// and only waits for its parent, or here for an init that does not reap it).
    func identity(of pid: Int32) -> ProcessIdentity?
    /// Sends `signal` to `pid`; whether it was delivered.
    func signal(_ pid: Int32, _ signal: Int32) -> Bool
    /// The id of this boot (`/proc/sys/kernel/random/boot_id`): start times compare only within one.
    var bootID: String { get }
}

extension ProcessTable {
    /// Whether `process` still runs (the same pid with the same start time).
    public func isRunning(_ process: ProcessIdentity) -> Bool { identity(of: process.pid) == process }

    /// Whether any live process has this pid.
    public func isRunning(pid: Int32) -> Bool { identity(of: pid) != nil }
}

/// `/proc` and kill(2).
public struct LinuxProcessTable: ProcessTable {
    public init() {}

    public func identity(of pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let text = ProcFS.read("/proc/\(pid)/stat"), let stat = try? ProcessStat.parse(text),
            stat.state != "Z", stat.state != "X"
        else { return nil }
        return ProcessIdentity(pid: pid, startTimeTicks: stat.startTimeTicks)
    }

    public func signal(_ pid: Int32, _ signal: Int32) -> Bool { kill(pid, signal) == 0 }

    public var bootID: String {
        (ProcFS.read("/proc/sys/kernel/random/boot_id") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
