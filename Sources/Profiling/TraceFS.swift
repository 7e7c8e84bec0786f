public import Constraints
import Foundation
public import InferLabCore
import SystemProbe

/// Why a trace could not be taken.
public struct TraceError: InferLabError {
    public enum Code: String, Sendable, CustomStringConvertible {
        /// tracefs is not mounted and cannot be (not root, no tracefs in the kernel).
        case unavailable
        /// An event this trace needs does not exist in this kernel.
        case noSuchEvent = "no_such_event"
        /// A tracefs file could not be written.
        case system
        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?
    public var isUsageError: Bool { false }

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}

/// A private tracefs instance (`instances/inferlab-PID-XXXX`): its own ring buffer, its own
/// enabled events and pid filter, so nothing of the machine's global trace is touched and
/// removing the directory disables everything it enabled. tracefs is used where it is mounted,
/// or mounted by this session in a private directory it removes.
///
/// Both the instance and the mount are recorded in the run's lease before they are created, so
/// when this process is killed the next InferLab removes them (`LeftoverFinder`); `close()`
/// removes them on every other path.
public final class TraceSession: Sendable {
    /// The tracefs mount point in use.
    public let root: String
    /// The instance directory.
    public let instance: String
    /// The mount point this session created (and removes), if it mounted tracefs.
    public let privateMount: String?

    /// Events as `subsystem/name`.
    public let events: [String]

    private init(root: String, instance: String, privateMount: String?, events: [String]) {
        self.root = root
        self.instance = instance
        self.privateMount = privateMount
        self.events = events
    }

    /// Opens an instance with `events` enabled for the threads of `pids` (and the threads they
    /// start; `nil`: every task), an event narrowed by its entry in `filters` when it has one
    /// (tracefs filter syntax, `i_ino == 42`), a `mono` clock (so its times are
    /// `MonotonicInstant`s) and `bufferKB` of ring buffer per CPU. Tracing starts at once.
    public static func open(
        events: [String], pids: [Int32]?, filters: [String: String] = [:], bufferKB: Int = 16_384,
        lease: RunLease = .current
    ) throws(TraceError) -> TraceSession {
        guard getuid() == 0 else {
            let what = events.allSatisfy { $0.hasPrefix("sched/") } ? "the scheduler" : "kernel events"
            throw TraceError(.unavailable, "tracing \(what) needs root (tracefs)")
        }
        var privateMount: String?
        let root: String
        if let mounted = mountPoint() {
            root = mounted
        } else {
            let directory = lease.directory.appendingPathComponent(Cgroups.uniqueName(prefix: "inferlab-tracefs")).path
            lease.record([.mount(path: directory)])
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw TraceError(.system, "cannot create the tracefs mount point \(directory)", cause: error)
            }
            guard mount("nodev", directory, "tracefs", 0, nil) == 0 else {
                let reason = String(cString: strerror(errno))
                rmdir(directory)
                throw TraceError(.unavailable, "cannot mount tracefs at \(directory): \(reason)")
            }
            privateMount = directory
            root = directory
        }
        // Uprobes a killed allocation count left armed slow every malloc on the machine: the
        // definitions are the kernel's, not the mount's, so they are looked for at every open.
        AllocationTrace.removeLeftovers(tracefsRoot: root)
        let instance = root + "/instances/" + Cgroups.uniqueName()
        lease.record([.traceInstance(directory: instance)])
        guard mkdir(instance, 0o700) == 0 else {
            let reason = String(cString: strerror(errno))
            if let privateMount { unmount(privateMount) }
            throw TraceError(.unavailable, "cannot create the tracefs instance \(instance): \(reason)")
        }
        let session = TraceSession(root: root, instance: instance, privateMount: privateMount, events: events)
        do throws(TraceError) {
            try session.write("0", to: "tracing_on")
            try session.write("mono", to: "trace_clock")
            try session.write("\(bufferKB)", to: "buffer_size_kb")
            try session.write("1", to: "options/event-fork")
            if let pids {
                let tids = pids.flatMap { pid in [pid] + ProcFS.threads(of: pid) }
                try session.write(Set(tids).sorted().map(String.init).joined(separator: " "), to: "set_event_pid")
            }
            for event in events {
                guard FileManager.default.fileExists(atPath: instance + "/events/" + event + "/enable") else {
                    throw TraceError(.noSuchEvent, "this kernel has no trace event \(event)")
                }
                if let filter = filters[event] { try session.write(filter, to: "events/" + event + "/filter") }
                try session.write("1", to: "events/" + event + "/enable")
            }
            try session.write("1", to: "tracing_on")
        } catch {
            session.close()
            throw error
        }
        return session
    }

    /// Stops recording (the buffer is kept for `read`).
    public func stop() { try? write("0", to: "tracing_on") }

    /// The recorded text (the non-consuming `trace` file).
    public func read() -> String { ProcFS.read(instance + "/trace") ?? "" }

    /// Events the ring buffer dropped because it was full, over all CPUs.
    public var overruns: Int { KernelFile.lostEvents(instance: instance) }

    /// Disables the events, removes the instance and the private mount. Idempotent.
    public func close() {
        try? write("0", to: "tracing_on")
        for event in events {
            try? write("0", to: "events/" + event + "/enable")
            try? write("0", to: "events/" + event + "/filter")
        }
        Self.removeInstance(instance)
        if let privateMount { Self.unmount(privateMount) }
    }

    private func write(_ value: String, to file: String) throws(TraceError) {
        do {
            try KernelFile.write(value, to: instance + "/" + file)
        } catch {
            throw TraceError(.system, error.message)
        }
    }

    /// Where tracefs is mounted already (`/proc/mounts`), if anywhere.
    public static func mountPoint() -> String? { Mounts.tracefsRoots().first }

    /// The instances of every mounted tracefs named by `Cgroups.uniqueName` (any creator).
    public static func inferlabInstances() -> [String] {
        Mounts.inferlabTraceResources(beneath: RunLease.defaultDirectory.path).compactMap { resource in
            if case .traceInstance(let directory) = resource { return directory }
            return nil
        }
    }

    /// Removes an instance (its events stop with it).
    static func removeInstance(_ directory: String) { _ = rmdir(directory) }

    /// Unmounts a private mount point and removes the directory.
    static func unmount(_ directory: String) {
        _ = umount2(directory, Int32(MNT_DETACH))
        _ = rmdir(directory)
    }
}
