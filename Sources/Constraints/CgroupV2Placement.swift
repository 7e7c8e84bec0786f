#if canImport(Glibc)
    import Glibc
#endif

/// Where a v2 cgroup for the engine goes, and the controllers enabled down the path to it.
///
/// cgroup v2's no-internal-processes rule: a cgroup other than the root can enable controllers
/// for its children (`cgroup.subtree_control`) only while it holds no process itself, and a
/// process cannot join a cgroup that has enabled them. The invoking process's own cgroup holds at
/// least that process, so:
///
/// 1. In the root cgroup (exempt from the rule), the child goes beneath it.
/// 2. When the invoking process is alone in its cgroup (`systemd-run --scope -p Delegate=yes`, a
///    delegated service, a container's entry point), it moves itself into a leaf of its own,
///    `inferlab-runner-<pid>-<random>`, enables the controllers in the cgroup it started in, and
///    the child goes beside the leaf, so everything stays inside the delegated cgroup. The leaf
///    is the process's home until it exits; the next run removes it (`LeftoverFinder`), as it
///    removes any cgroup named after a dead pid.
/// 3. When other processes share it (a login shell's session scope), the child goes beside the
///    invoking cgroup, in its parent, when that parent lets this user create a cgroup and enable
///    controllers (root, or a delegated subtree).
/// 4. Otherwise the error names each step that failed and why.
///
/// Moving the other processes of a shared cgroup (the user's shell) is never done.
struct CgroupV2Placement: Sendable, Equatable {
    /// The directory the child is created in.
    var parent: String
    /// Where this process is after placement: members still in the child when it is removed go
    /// back here (the only place sure to accept them).
    var home: String
    /// The leaf this process moved itself into (case 2), else `nil`.
    var runnerLeaf: String?
    /// Controllers enabled in `parent` (now or before).
    var enabled: Set<String>
    /// Controllers the path to `parent` could not enable, with the reason.
    var unavailable: [String: String]
    /// Why the child could not go closer to the invoking process (case 3), else empty.
    var passedOver: [String]

    /// The prefix of the leaf a process moves itself into.
    static let runnerPrefix = "inferlab-runner"
    /// The controllers a child cgroup gets when it can.
    static let wanted = ["cpu", "memory", "cpuset"]

    /// Places a child for a process `pid` of user `uid` whose v2 cgroup is `own`, in the
    /// hierarchy mounted at `mount`. Throws when neither cpu nor memory can be had.
    static func place(own: String, mount: String, fs: any CgroupFileSystem, pid: Int32, uid: UInt32) throws
        -> CgroupV2Placement
    {
        let explain = Reasons(mount: mount, fs: fs, uid: uid)
        if own == mount {
            return try enable(parent: own, home: own, runnerLeaf: nil, fs: fs, explain: explain, before: [])
        }
        let name = String(own.split(separator: "/").last ?? "")
        if name.hasPrefix(runnerPrefix + "-"), Cgroups.creator(ofName: name) == pid {
            // Moved there by an earlier placement of this process.
            return try enable(parent: parent(of: own), home: own, runnerLeaf: nil, fs: fs, explain: explain, before: [])
        }
        var reasons: [String] = []
        let members = pidList(fs.read(own + "/cgroup.procs"))
        let offered = CgroupV2Controller.words(fs.read(own + "/cgroup.controllers"))
        if members != [pid] {
            let others = members.filter { $0 != pid }
            reasons.append(
                "\(explain.path(own)) holds other processes (\(pidsText(others))), so it cannot enable controllers "
                    + "for a child (cgroup v2's no-internal-processes rule)")
        } else if offered.isDisjoint(with: ["cpu", "memory"]) && uid != 0 {
            reasons.append("\(explain.path(own)) is offered neither cpu nor memory by its parent")
        } else {
            let leaf = own + "/" + Cgroups.uniqueName(prefix: runnerPrefix, pid: pid)
            do {
                try fs.makeDirectory(leaf)
                do {
                    try fs.write(leaf + "/cgroup.procs", "\(pid)")
                } catch {
                    try? fs.removeDirectory(leaf)
                    throw error
                }
                return try enable(parent: own, home: leaf, runnerLeaf: leaf, fs: fs, explain: explain, before: [])
            } catch {
                reasons.append("cannot move pid \(pid) into a leaf of \(explain.path(own)): \(explain.failure(error))")
            }
        }
        return try enable(
            parent: parent(of: own), home: own, runnerLeaf: nil, fs: fs, explain: explain, before: reasons)
    }

    /// Enables the wanted controllers in `parent`'s subtree_control, from the nearest ancestor
    /// that offers each one down to `parent`, and checks a child can be made there.
    private static func enable(
        parent: String, home: String, runnerLeaf: String?, fs: any CgroupFileSystem, explain: Reasons,
        before: [String]
    ) throws -> CgroupV2Placement {
        var enabled = CgroupV2Controller.words(fs.read(parent + "/cgroup.subtree_control"))
        var unavailable: [String: String] = [:]
        for controller in wanted where !enabled.contains(controller) {
            // The chain from the first ancestor offering the controller down to `parent`.
            var chain = [parent]
            var offeredAt: String? = parent
            while let dir = offeredAt,
                !CgroupV2Controller.words(fs.read(dir + "/cgroup.controllers")).contains(controller)
            {
                offeredAt = dir == explain.mount ? nil : Self.parent(of: dir)
                if let above = offeredAt { chain.insert(above, at: 0) }
            }
            guard offeredAt != nil else {
                unavailable[controller] =
                    "the \(controller) controller is not in \(explain.mount)/cgroup.controllers "
                    + "(bound to a v1 hierarchy, or not in this kernel)"
                continue
            }
            for dir in chain
            where !CgroupV2Controller.words(fs.read(dir + "/cgroup.subtree_control")).contains(controller) {
                do {
                    try fs.write(dir + "/cgroup.subtree_control", "+\(controller)")
                } catch {
                    unavailable[controller] =
                        "cannot enable \(controller) for the children of \(explain.path(dir)): "
                        + explain.failure(error, enabling: controller, in: dir)
                    break
                }
            }
            if unavailable[controller] == nil { enabled.insert(controller) }
        }
        guard enabled.contains("cpu") || enabled.contains("memory") else {
            let reasons = before + ["cpu", "memory"].compactMap { unavailable[$0] }
            throw ConstraintError(
                .noCgroups, "no v2 cgroup with the cpu or memory controller: " + reasons.joined(separator: "; "))
        }
        return CgroupV2Placement(
            parent: parent, home: home, runnerLeaf: runnerLeaf, enabled: enabled, unavailable: unavailable,
            passedOver: before)
    }

    static func parent(of directory: String) -> String {
        guard let slash = directory.lastIndex(of: "/"), slash != directory.startIndex else { return "/" }
        return String(directory[..<slash])
    }

    static func pidsText(_ pids: [Int32]) -> String {
        let shown = pids.prefix(5).map(String.init).joined(separator: ", ")
        return (pids.count == 1 ? "pid " : "pids ") + shown + (pids.count > 5 ? " and \(pids.count - 5) more" : "")
    }

    /// Turns a failed cgroupfs call into the reason and the way out; names cgroups by their hierarchy path.
    struct Reasons {
        var mount: String
        var fs: any CgroupFileSystem
        var uid: UInt32

        /// The cgroup's path in the hierarchy, as /proc/PID/cgroup shows it ("/user.slice/x").
        func path(_ directory: String) -> String {
            directory == mount ? "/" : String(directory.dropFirst(mount.count))
        }

        func failure(_ error: any Error, enabling controller: String? = nil, in directory: String? = nil) -> String {
            let code = (error as? ConstraintError)?.errno
            switch code {
            case EACCES, EPERM:
                if uid == 0 {
                    return "permission denied to root (a read-only cgroupfs, or a container without cgroup delegation)"
                }
                let file = directory.map { "cgroup.subtree_control of \(path($0)) is not writable: " } ?? ""
                return file + "not delegated to uid \(uid); run under systemd-run --user --scope -p Delegate=yes, "
                    + "or as root"
            case EBUSY:
                guard let directory else { return "\(error)" }
                let members = pidList(fs.read(directory + "/cgroup.procs"))
                return "\(path(directory)) holds processes (\(pidsText(members))), and a cgroup with processes "
                    + "cannot enable controllers for its children (cgroup v2's no-internal-processes rule)"
            case EINVAL where controller == "cpu":
                return "the kernel refused (EINVAL): the cpu controller cannot be enabled while a realtime "
                    + "(SCHED_FIFO/SCHED_RR) process runs outside the root cgroup"
            default:
                return "\(error)"
            }
        }
    }
}
