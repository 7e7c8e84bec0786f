#if canImport(Glibc)
    import Glibc
#endif
public import SystemProbe

/// The cgroup v2 backend: one child cgroup in the unified hierarchy, placed where the kernel's
/// rules let this process create it and enable the cpu, memory and cpuset controllers for it
/// (`CgroupV2Placement`: beneath the root cgroup; beside a leaf this process moved itself into,
/// inside its own delegated cgroup; or beside its own cgroup).
public struct CgroupV2Controller: CgroupController {
    public var version: CgroupVersion { .v2 }
    public let path: String
    /// The child directory.
    public let directory: String
    /// The directory the child was created in.
    public let parent: String
    /// Where members still in the child go before it is removed: this process's own cgroup.
    public let home: String
    /// The leaf this process moved itself into to obey the no-internal-processes rule, if it did.
    public let runnerLeaf: String?
    /// Controllers that could not be enabled for the child, with the reason.
    public let unavailable: [String: String]
    let fs: any CgroupFileSystem

    public var directoryPaths: [String] { [directory] }

    /// Creates `name` where the v2 rules let this process (`pid`, user `uid`) put it and enables
    /// the controllers it can; the error says which step failed and why.
    public static func create(
        name: String, location: CgroupLocation, fs: any CgroupFileSystem, pid: Int32? = nil,
        uid: UInt32? = nil
    ) throws -> CgroupV2Controller {
        let pid = pid ?? getpid()
        let uid = uid ?? getuid()
        guard let own = location.v2Directory, let mount = location.v2Mount else {
            throw ConstraintError(.noCgroups, "cgroup2 is not mounted")
        }
        let placement = try CgroupV2Placement.place(own: own, mount: mount, fs: fs, pid: pid, uid: uid)
        let directory = placement.parent + "/" + name
        let reasons = CgroupV2Placement.Reasons(mount: mount, fs: fs, uid: uid)
        do {
            try fs.makeDirectory(directory)
        } catch {
            let reason = "cannot create a cgroup in \(reasons.path(placement.parent)): \(reasons.failure(error))"
            throw ConstraintError(
                .noCgroups, (placement.passedOver + [reason]).joined(separator: "; "),
                errno: (error as? ConstraintError)?.errno)
        }
        return CgroupV2Controller(
            path: reasons.path(directory), directory: directory, parent: placement.parent, home: placement.home,
            runnerLeaf: placement.runnerLeaf, unavailable: placement.unavailable, fs: fs)
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
        if let failure = CgroupRemoval.remove(directory, evacuatingTo: home, fs: fs) {
            throw ConstraintError(.cgroupRemove, failure)
        }
    }
}
