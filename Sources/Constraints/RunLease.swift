public import Foundation
import InferLabCore
import Synchronization

/// What a running InferLab process has created that must not outlive it, kept in a file so that
/// the next `inferlab run` can remove what a dead one left: the file outlives a `kill -9`.
///
/// One file per process, `<directory>/run-<pid>.json` (a `LeaseRecord`), written whole
/// (write, then rename) each time something is recorded, and removed when the last `begin()` is
/// ended: a clean exit leaves no lease. Recording drops the entries that are already gone (an
/// engine that was stopped, a cgroup that was removed), so the file stays as long as one trial's.
public final class RunLease: Sendable {
    /// This process's lease, in `defaultDirectory`.
    public static let current = RunLease(directory: defaultDirectory)

    /// `/run/inferlab` for root (a tmpfs: empty after a reboot, as the processes and cgroups
    /// are), else `$XDG_RUNTIME_DIR/inferlab`, else `~/.cache/inferlab/leases`.
    public static var defaultDirectory: URL {
        if getuid() == 0 { return URL(fileURLWithPath: "/run/inferlab") }
        if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return URL(fileURLWithPath: runtime).appendingPathComponent("inferlab")
        }
        return UserDirectories.home.appendingPathComponent(".cache/inferlab/leases")
    }

    /// The file name of the lease of `pid`.
    static func fileName(of pid: Int32) -> String { "run-\(pid).json" }

    public let directory: URL
    private let processes: any ProcessTable
    private let fs: any CgroupFileSystem
    private let state = Mutex(State())

    private struct State {
        var holders = 0
        var resources: [LeasedResource] = []
    }

    public init(
        directory: URL, processes: any ProcessTable = LinuxProcessTable(),
        fs: any CgroupFileSystem = PosixCgroupFileSystem()
    ) {
        self.directory = directory
        self.processes = processes
        self.fs = fs
    }

    /// This process's lease file.
    public var file: URL { directory.appendingPathComponent(Self.fileName(of: getpid())) }

    /// Starts holding the lease (the first holder writes the file); end it with `end()`.
    /// Throws when the file cannot be written: a run that cannot record what it creates cannot
    /// promise that a dead run's leftovers are found.
    public func begin() throws {
        try state.withLock { state in
            state.holders += 1
            do {
                try write(state.resources)
            } catch {
                state.holders -= 1
                throw error
            }
        }
    }

    /// Ends one `begin()`; the last removes the file (and forgets what was recorded).
    public func end() {
        state.withLock { state in
            guard state.holders > 0 else { return }
            state.holders -= 1
            if state.holders == 0 {
                state.resources = []
                try? FileManager.default.removeItem(at: file)
            }
        }
    }

    /// Adds resources just created and rewrites the file at once. Outside `begin()`...`end()` this
    /// does nothing: only a process that holds a lease is looked for later.
    public func record(_ resources: [LeasedResource]) {
        state.withLock { state in
            guard state.holders > 0 else { return }
            state.resources = state.resources.filter(isPresent) + resources.filter { !state.resources.contains($0) }
            try? write(state.resources)
        }
    }

    /// What the lease holds now (for tests and messages).
    public var resources: [LeasedResource] { state.withLock { $0.resources } }

    private func isPresent(_ resource: LeasedResource) -> Bool {
        switch resource {
        case .process(let identity, _): processes.isRunning(identity)
        case .cgroup(let directory), .traceInstance(let directory): fs.exists(directory)
        case .mount(let path): Mounts.isMountPoint(path)
        }
    }

    private func write(_ resources: [LeasedResource]) throws {
        let pid = getpid()
        let record = LeaseRecord(
            owner: processes.identity(of: pid) ?? ProcessIdentity(pid: pid, startTimeTicks: 0),
            bootID: processes.bootID, command: CommandLine.arguments, resources: resources)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let staging = directory.appendingPathComponent(".\(Self.fileName(of: pid)).tmp")
            try encoder.encode(record).write(to: staging)
            guard rename(staging.path, file.path) == 0 else {
                throw ConstraintError(
                    .system, "rename to \(file.path): \(String(cString: strerror(errno)))", errno: errno)
            }
        } catch {
            throw ConstraintError(.system, "cannot write the run lease \(file.path)", cause: error)
        }
    }
}

/// The contents of a lease file.
public struct LeaseRecord: Sendable, Codable, Equatable {
    /// The format of the file. The default is 1.
    public var version = 1
    /// The process that holds the lease.
    public var owner: ProcessIdentity
    /// The boot the start times belong to.
    public var bootID: String
    /// The owner's command line, for messages.
    public var command: [String]
    public var resources: [LeasedResource]

    enum CodingKeys: String, CodingKey {
        case version, owner, command, resources, bootID = "boot_id"
    }

    public init(owner: ProcessIdentity, bootID: String, command: [String], resources: [LeasedResource]) {
        self.owner = owner
        self.bootID = bootID
        self.command = command
        self.resources = resources
    }
}
