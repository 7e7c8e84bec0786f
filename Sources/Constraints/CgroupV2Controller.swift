public import SystemProbe

/// The cgroup v2 backend: one child directory beneath the invoking process's own cgroup in the
/// unified hierarchy, with the cpu, memory and cpuset controllers enabled where possible.
public struct CgroupV2Controller: CgroupController {
    public var version: CgroupVersion { .v2 }
    public let path: String
    /// The child directory.
    public let directory: String
    /// The parent directory (the invoking process's own cgroup).
    public let parent: String
    /// Controllers that could not be enabled for the child, with the reason.
    public let unavailable: [String: String]
    let fs: any CgroupFileSystem

    public var directoryPaths: [String] { [directory] }

    /// Creates `name` beneath the process's own v2 cgroup and enables the controllers it can.
    public static func create(name: String, location: CgroupLocation, fs: any CgroupFileSystem) throws
        -> CgroupV2Controller
    {
        guard let parent = location.v2Directory, let parentPath = location.v2Path else {
            throw ConstraintError(.noCgroups, "cgroup2 is not mounted")
        }
        let offered = words(fs.read(parent + "/cgroup.controllers"))
        var enabled = words(fs.read(parent + "/cgroup.subtree_control"))
        var unavailable: [String: String] = [:]
        for controller in ["cpu", "memory", "cpuset"] where !enabled.contains(controller) {
            guard offered.contains(controller) else {
                unavailable[controller] = "the v2 \(controller) controller is not available in \(parent)"
                continue
            }
            do {
                try fs.write(parent + "/cgroup.subtree_control", "+\(controller)")
                enabled.insert(controller)
            } catch {
                unavailable[controller] = "cannot enable \(controller) in \(parent)/cgroup.subtree_control: \(error)"
            }
        }
        guard enabled.contains("cpu") || enabled.contains("memory") else {
            throw ConstraintError(
                .noCgroups, "the v2 hierarchy offers neither the cpu nor the memory controller in \(parent)")
        }
        let directory = parent + "/" + name
        try fs.makeDirectory(directory)
        return CgroupV2Controller(
            path: (parentPath == "/" ? "" : parentPath) + "/" + name, directory: directory, parent: parent,
            unavailable: unavailable, fs: fs)
    }

    static func words(_ text: String?) -> Set<String> {
        Set((text ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    private func write(_ controller: String, _ file: String, _ value: String, asked: String) -> ControlOutcome {
        guard Self.words(fs.read(directory + "/cgroup.controllers")).contains(controller) else {
            return .notApplied(unavailable[controller] ?? "the v2 \(controller) controller is absent", value: asked)
        }
        do {
            try fs.write(directory + "/" + file, value)
            return .applied("\(file)=\(value) in \(directory)", value: asked)
        } catch {
            return .notApplied("\(error)", value: asked)
        }
    }

    public func setCPUQuota(cores: Double) -> ControlOutcome {
        write("cpu", "cpu.max", "\(Self.quotaMicroseconds(cores: cores)) \(cpuPeriodMicroseconds)", asked: "\(cores)")
    }

    public func setMemoryMax(bytes: UInt64) -> ControlOutcome {
        write("memory", "memory.max", "\(bytes)", asked: "\(bytes)")
    }

    public func setMemoryHigh(bytes: UInt64) -> ControlOutcome {
        write("memory", "memory.high", "\(bytes)", asked: "\(bytes)")
    }

    public func setCPUs(_ cpus: [Int]) -> ControlOutcome {
        let list = CPUList.format(cpus)
        return write("cpuset", "cpuset.cpus", list, asked: list)
    }

    public func add(pid: Int32) throws {
        try fs.write(directory + "/cgroup.procs", "\(pid)")
    }

    public func members() -> [Int32] { pidList(fs.read(directory + "/cgroup.procs")).sorted() }

    public func stats() -> CgroupStats {
        var files: [String: String] = [:]
        for name in CgroupStats.fileNames(for: .v2) {
            if let text = fs.read(directory + "/" + name) { files[name] = text }
        }
        return CgroupStats.parse(version: .v2, path: path, files: files)
    }

    public func remove() throws {
        guard fs.exists(directory) else { return }
        if let failure = CgroupRemoval.remove(directory, parent: parent, fs: fs) {
            throw ConstraintError(.cgroupRemove, failure)
        }
    }
}
