import Foundation
public import SystemProbe

/// The cgroup v1 backend: one child directory in each mounted controller hierarchy (cpu,
/// cpuacct, memory, cpuset), each beneath the invoking process's own cgroup there.
public struct CgroupV1Controller: CgroupController {
    public var version: CgroupVersion { .v1 }
    /// The child's path inside the memory hierarchy (or the first one created).
    public let path: String
    /// Controller name -> the child directory.
    public let directories: [String: String]
    /// Controller name -> the parent directory (the invoking process's own cgroup).
    public let parents: [String: String]
    /// Controllers that could not be used, with the reason.
    public let unavailable: [String: String]
    let fs: any CgroupFileSystem

    static let controllers = ["cpu", "cpuacct", "memory", "cpuset"]

    public var directoryPaths: [String] { Set(directories.values).sorted() }

    /// Creates `name` beneath the process's own cgroup in each v1 hierarchy.
    public static func create(name: String, location: CgroupLocation, fs: any CgroupFileSystem) throws
        -> CgroupV1Controller
    {
        var directories: [String: String] = [:]
        var parents: [String: String] = [:]
        var unavailable: [String: String] = [:]
        var created: [String] = []
        for controller in controllers {
            guard let parent = location.v1Directories[controller] else {
                unavailable[controller] = "the v1 \(controller) controller is not mounted"
                continue
            }
            let child = parent + "/" + name
            do {
                if !created.contains(child) {
                    try fs.makeDirectory(child)
                    created.append(child)
                }
                if controller == "cpuset" {
                    // A v1 cpuset child starts empty and accepts no task until cpus and mems are set.
                    for file in ["cpuset.mems", "cpuset.cpus"] {
                        let inherited = (fs.read(parent + "/" + file) ?? "0").trimmingCharacters(
                            in: .whitespacesAndNewlines)
                        try fs.write(child + "/" + file, inherited.isEmpty ? "0" : inherited)
                    }
                }
                directories[controller] = child
                parents[controller] = parent
            } catch {
                unavailable[controller] = "\(error)"
            }
        }
        guard directories["cpu"] != nil || directories["memory"] != nil else {
            for dir in created.reversed() { try? fs.removeDirectory(dir) }
            throw ConstraintError(
                .noCgroups,
                "cannot create a v1 cgroup with the cpu or memory controller: "
                    + unavailable.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
        let path = (location.v1Paths["memory"] ?? location.v1Paths["cpu"] ?? "/")
        return CgroupV1Controller(
            path: (path == "/" ? "" : path) + "/" + name, directories: directories, parents: parents,
            unavailable: unavailable, fs: fs)
    }

    private func missing(_ controller: String) -> String {
        unavailable[controller] ?? "the v1 \(controller) controller is absent"
    }

    public func setCPUQuota(cores: Double) -> ControlOutcome {
        guard let dir = directories["cpu"] else { return .notApplied(missing("cpu"), value: "\(cores)") }
        let quota = Self.quotaMicroseconds(cores: cores)
        do {
            try fs.write(dir + "/cpu.cfs_period_us", "\(cpuPeriodMicroseconds)")
            try fs.write(dir + "/cpu.cfs_quota_us", "\(quota)")
            return .applied(
                "cpu.cfs_quota_us=\(quota) cpu.cfs_period_us=\(cpuPeriodMicroseconds) in \(dir)", value: "\(cores)")
        } catch {
            return .notApplied("\(error)", value: "\(cores)")
        }
    }

    public func setMemoryMax(bytes: UInt64) -> ControlOutcome {
        guard let dir = directories["memory"] else { return .notApplied(missing("memory"), value: "\(bytes)") }
        do {
            try fs.write(dir + "/memory.limit_in_bytes", "\(bytes)")
            return .applied("memory.limit_in_bytes=\(bytes) in \(dir)", value: "\(bytes)")
        } catch {
            return .notApplied("\(error)", value: "\(bytes)")
        }
    }

    public func setMemoryHigh(bytes: UInt64) -> ControlOutcome {
        .notApplied(
            "cgroup v1 has no memory.high (soft_limit_in_bytes only acts under global memory pressure)",
            value: "\(bytes)")
    }

    public func setCPUs(_ cpus: [Int]) -> ControlOutcome {
        let list = CPUList.format(cpus)
        guard let dir = directories["cpuset"] else { return .notApplied(missing("cpuset"), value: list) }
        do {
            try fs.write(dir + "/cpuset.cpus", list)
            return .applied("cpuset.cpus=\(list) in \(dir)", value: list)
        } catch {
            return .notApplied("\(error)", value: list)
        }
    }

    public func add(pid: Int32) throws {
        for dir in Set(directories.values).sorted() {
            try fs.write(dir + "/cgroup.procs", "\(pid)")
        }
    }

    public func members() -> [Int32] {
        Array(Set(Set(directories.values).flatMap { pidList(fs.read($0 + "/cgroup.procs")) })).sorted()
    }

    public func stats() -> CgroupStats {
        var files: [String: String] = [:]
        for name in CgroupStats.fileNames(for: .v1) {
            let controller = String(name.prefix(while: { $0 != "." }))
            if let dir = directories[controller], let text = fs.read(dir + "/" + name) { files[name] = text }
        }
        return CgroupStats.parse(version: .v1, path: path, files: files)
    }

    public func remove() throws {
        var failures: [String] = []
        var done = Set<String>()
        for (controller, dir) in directories.sorted(by: { $0.key < $1.key }) where !done.contains(dir) {
            done.insert(dir)
            guard fs.exists(dir) else { continue }
            if let failure = CgroupRemoval.remove(dir, evacuatingTo: parents[controller]!, fs: fs) {
                failures.append(failure)
            }
        }
        if !failures.isEmpty {
            throw ConstraintError(.cgroupRemove, failures.joined(separator: "; "))
        }
    }
}

/// Moving members out and removing one cgroup directory, shared by both backends.
enum CgroupRemoval {
    /// Returns `nil` on success, else why it failed. Members still in `dir` are moved to
    /// `home` first. Retries for a while: a process that was just killed leaves the cgroup only
    /// when it has fully exited.
    static func remove(_ dir: String, evacuatingTo home: String, fs: any CgroupFileSystem) -> String? {
        var last = ""
        for _ in 0..<100 {
            for pid in pidList(fs.read(dir + "/cgroup.procs")) {
                try? fs.write(home + "/cgroup.procs", "\(pid)")
            }
            do {
                try fs.removeDirectory(dir)
                return nil
            } catch {
                last = "\(error)"
                if !fs.exists(dir) { return nil }
            }
            usleep(20_000)
        }
        return "cannot remove \(dir): \(last)"
    }
}
