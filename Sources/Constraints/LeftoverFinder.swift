public import Foundation
import InferLabCore
import SystemProbe

/// What one dead InferLab process left behind.
public struct Leftover: Sendable, Equatable {
    /// The pid of the process that created it.
    public var owner: Int32
    /// Whether its lease named the resources (else they were found by cgroup name alone).
    public var leased: Bool
    /// What is still there: processes first, then cgroups.
    public var resources: [LeasedResource]
    /// The lease file, removed with the resources.
    public var leaseFile: URL?
}

/// Finds and removes what dead InferLab processes left: the resources their leases name
/// (`RunLease`), and the cgroups named after a pid that no longer runs (`Cgroups.uniqueName`)
/// beneath the cgroups this process would create its own in, with every process still in them.
///
/// Nothing of a live process is touched, and a process is killed only when its pid still has
/// the start time recorded (pids are reused). A lease's cgroup directory is only removed beneath
/// `cgroupMount` and only when its name was made by `Cgroups.uniqueName`.
public struct LeftoverFinder: Sendable {
    /// Where leases are kept. The default is `RunLease.defaultDirectory`.
    public var leaseDirectory: URL
    /// The directories beneath which InferLab creates cgroups: this process's own cgroups.
    public var cgroupParents: [String]
    /// Where the cgroup hierarchies are mounted. The default is `/sys/fs/cgroup`.
    public var cgroupMount: String
    public var fs: any CgroupFileSystem
    public var processes: any ProcessTable
    /// How long to wait for killed processes to end. The default is 2 s.
    public var killTimeoutSeconds: Double

    public init(
        leaseDirectory: URL = RunLease.defaultDirectory, cgroupParents: [String],
        cgroupMount: String = "/sys/fs/cgroup",
        fs: any CgroupFileSystem = PosixCgroupFileSystem(), processes: any ProcessTable = LinuxProcessTable(),
        killTimeoutSeconds: Double = 2
    ) {
        self.leaseDirectory = leaseDirectory
        self.cgroupParents = cgroupParents
        self.cgroupMount = cgroupMount
        self.fs = fs
        self.processes = processes
        self.killTimeoutSeconds = killTimeoutSeconds
    }

    /// The finder for this machine: leases in the default directory, cgroups where
    /// `Cgroups.create` puts them: beneath this process's own cgroups, and on v2 also beside its
    /// own (`CgroupV2Placement`: a sibling of a shared cgroup, or of the runner leaf).
    public static func onThisMachine() -> LeftoverFinder {
        guard let location = try? ProcFS.cgroupLocation(of: getpid()) else { return LeftoverFinder(cgroupParents: []) }
        var parents = Set(location.v1Directories.values)
        if let own = location.v2Directory {
            parents.insert(own)
            if own != location.v2Mount { parents.insert(CgroupV2Placement.parent(of: own)) }
        }
        return LeftoverFinder(cgroupParents: parents.sorted())
    }

    /// Finds and removes everything dead processes left; see `LeftoverRemoval.summary`.
    public func reclaim() -> LeftoverRemoval { remove(find()) }

    /// What dead processes left, one entry per dead owner, in pid order.
    public func find() -> [Leftover] {
        var found: [Int32: Leftover] = [:]
        for (file, lease) in leases() {
            let sameBoot = lease.bootID == processes.bootID
            if sameBoot && processes.isRunning(lease.owner) { continue }
            let present = lease.resources.filter { isPresent($0, sameBoot: sameBoot) }
            found[lease.owner.pid] = Leftover(
                owner: lease.owner.pid, leased: true, resources: present, leaseFile: file)
        }
        for parent in cgroupParents {
            for name in fs.children(of: parent).sorted() {
                guard let creator = Cgroups.creator(ofName: name), !processes.isRunning(pid: creator) else { continue }
                let resource = LeasedResource.cgroup(directory: parent + "/" + name)
                var leftover = found[creator] ?? Leftover(owner: creator, leased: false, resources: [])
                if !leftover.resources.contains(resource) { leftover.resources.append(resource) }
                found[creator] = leftover
            }
        }
        for resource in Mounts.inferlabTraceResources(beneath: leaseDirectory.path) {
            let name: String
            switch resource {
            case .traceInstance(let directory), .mount(let directory): name = (directory as NSString).lastPathComponent
            default: continue
            }
            guard let creator = Cgroups.creator(ofName: name), !processes.isRunning(pid: creator) else { continue }
            var leftover = found[creator] ?? Leftover(owner: creator, leased: false, resources: [])
            if !leftover.resources.contains(resource) { leftover.resources.append(resource) }
            found[creator] = leftover
        }
        return found.keys.sorted().map { withMembers(found[$0]!) }
    }

    /// Kills the processes (SIGKILL, after checking each one's start time again), waits for them
    /// to end, removes the cgroups, then the lease file when nothing failed.
    public func remove(_ leftovers: [Leftover]) -> LeftoverRemoval {
        var removal = LeftoverRemoval()
        for leftover in leftovers {
            var failures: [String] = []
            let killed = leftover.resources.compactMap { resource -> ProcessIdentity? in
                guard case .process(let identity, _) = resource, processes.isRunning(identity),
                    processes.signal(identity.pid, SIGKILL)
                else { return nil }
                return identity
            }
            let deadline = MonotonicInstant.now() + .seconds(clamping: killTimeoutSeconds)
            while killed.contains(where: processes.isRunning) && MonotonicInstant.now() < deadline { usleep(20_000) }
            for identity in killed where processes.isRunning(identity) {
                failures.append("pid \(identity.pid) still runs \(killTimeoutSeconds) s after SIGKILL")
            }
            for case .cgroup(let directory) in leftover.resources {
                let parent = (directory as NSString).deletingLastPathComponent
                if let failure = CgroupRemoval.remove(directory, evacuatingTo: parent, fs: fs) {
                    failures.append(failure)
                }
            }
            // Trace instances before the mounts they live in.
            for case .traceInstance(let directory) in leftover.resources where rmdir(directory) != 0 && errno != ENOENT
            {
                failures.append("trace instance \(directory): \(String(cString: strerror(errno)))")
            }
            for case .mount(let path) in leftover.resources {
                if let failure = Mounts.unmount(path) { failures.append(failure) }
            }
            if failures.isEmpty, let file = leftover.leaseFile { try? FileManager.default.removeItem(at: file) }
            removal.removed.append(leftover)
            removal.failures += failures
        }
        return removal
    }

    /// The decodable lease files, by file.
    private func leases() -> [(URL, LeaseRecord)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: leaseDirectory.path)) ?? []
        return names.sorted().compactMap { name in
            guard name.hasPrefix("run-"), name.hasSuffix(".json") else { return nil }
            let file = leaseDirectory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file.path),
                let lease = try? JSONDecoder().decode(LeaseRecord.self, from: data)
            else { return nil }
            return (file, lease)
        }
    }

    /// Whether a resource of a dead owner's lease is still there (a process only within the boot
    /// its start time belongs to; a cgroup only where InferLab makes them).
    func isPresent(_ resource: LeasedResource, sameBoot: Bool) -> Bool {
        switch resource {
        case .process(let identity, _):
            return sameBoot && processes.isRunning(identity)
        case .cgroup(let directory):
            let name = (directory as NSString).lastPathComponent
            return directory.hasPrefix(cgroupMount + "/") && !directory.contains("/../")
                && Cgroups.creator(ofName: name) != nil && fs.exists(directory)
        case .traceInstance(let directory):
            let name = (directory as NSString).lastPathComponent
            return directory.contains("/instances/") && !directory.contains("/../")
                && Cgroups.creator(ofName: name) != nil && FileManager.default.fileExists(atPath: directory)
        case .mount(let path):
            let name = (path as NSString).lastPathComponent
            return name.hasPrefix("inferlab-tracefs-") && Cgroups.creator(ofName: name) != nil
                && !path.contains("/../") && (Mounts.isMountPoint(path) || FileManager.default.fileExists(atPath: path))
        }
    }

    /// The leftover with the processes still in its cgroups added (the stray engine is one).
    private func withMembers(_ leftover: Leftover) -> Leftover {
        var result = leftover
        var known = Set(
            leftover.resources.compactMap { resource -> Int32? in
                if case .process(let identity, _) = resource { return identity.pid }
                return nil
            })
        var members: [LeasedResource] = []
        for case .cgroup(let directory) in leftover.resources {
            for pid in pidList(fs.read(directory + "/cgroup.procs")).sorted() where !known.contains(pid) {
                guard let identity = processes.identity(of: pid) else { continue }
                known.insert(pid)
                members.append(.process(identity: identity, role: nil))
            }
        }
        let leased = result.resources.filter { if case .process = $0 { true } else { false } }
        let others = result.resources.filter { if case .process = $0 { false } else { true } }
        result.resources = leased + members + others
        return result
    }
}

/// What `LeftoverFinder.remove` did.
public struct LeftoverRemoval: Sendable, Equatable {
    /// Each dead owner's leftovers (including those whose lease held nothing that is still there).
    public var removed: [Leftover] = []
    /// What could not be removed, and why.
    public var failures: [String] = []

    /// One line for the user, or `nil` when nothing was left: "removed what run 12345 left: engine
    /// pid 12400, 1 cgroup (4 directories)", with "; could not remove: ..." after it when
    /// something failed.
    public var summary: String? {
        let parts = removed.filter { !$0.resources.isEmpty }.map { leftover in
            "what \(leftover.leased ? "run" : "process") \(leftover.owner) left: \(Self.describe(leftover.resources))"
        }
        guard !parts.isEmpty || !failures.isEmpty else { return nil }
        var line = parts.isEmpty ? "" : "removed " + parts.joined(separator: "; ")
        if !failures.isEmpty {
            line += (line.isEmpty ? "" : "; ") + "could not remove: " + failures.joined(separator: "; ")
        }
        return line
    }

    /// "engine pid 12400, pid 12402, 1 cgroup (4 directories)".
    static func describe(_ resources: [LeasedResource]) -> String {
        var words: [String] = []
        var directories: [String] = []
        var instances = 0
        var mounts = 0
        for resource in resources {
            switch resource {
            case .process(let identity, let role): words.append((role.map { $0 + " " } ?? "") + "pid \(identity.pid)")
            case .cgroup(let directory): directories.append(directory)
            case .traceInstance: instances += 1
            case .mount: mounts += 1
            }
        }
        if !directories.isEmpty {
            let names = Set(directories.map { ($0 as NSString).lastPathComponent }).count
            var cgroups = "\(names) cgroup\(names == 1 ? "" : "s")"
            if directories.count != names { cgroups += " (\(directories.count) directories)" }
            words.append(cgroups)
        }
        if instances > 0 { words.append("\(instances) trace instance\(instances == 1 ? "" : "s")") }
        if mounts > 0 { words.append("\(mounts) tracefs mount\(mounts == 1 ? "" : "s")") }
        return words.joined(separator: ", ")
    }
}
