#if canImport(Glibc)
    import Glibc
#endif
public import SystemProbe

/// Creates a child cgroup with the backend this machine supports.
public enum Cgroups {
    /// Which version carries the cpu or memory controller for the invoking process: v2 when the
    /// unified hierarchy has one of them (its own cgroup offers it, or the hierarchy's root: a
    /// controller not yet enabled down the path can be), else v1 when a v1 cpu or memory
    /// hierarchy is mounted.
    public static func preferredVersion(location: CgroupLocation, fs: any CgroupFileSystem) -> CgroupVersion? {
        for dir in [location.v2Directory, location.v2Mount].compactMap({ $0 }) {
            let offered = CgroupV2Controller.words(fs.read(dir + "/cgroup.controllers"))
            if offered.contains("cpu") || offered.contains("memory") { return .v2 }
        }
        if location.v1Directories["cpu"] != nil || location.v1Directories["memory"] != nil { return .v1 }
        return nil
    }

    /// A fresh child-cgroup name: "inferlab-<pid>-<random>". The pid lets a later InferLab find
    /// the cgroups of a process that died without removing them (`creator(ofName:)`).
    public static func uniqueName(prefix: String = "inferlab") -> String { uniqueName(prefix: prefix, pid: getpid()) }

    static func uniqueName(prefix: String, pid: Int32) -> String {
        "\(prefix)-\(pid)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// The pid in a name made by `uniqueName` with a prefix starting "inferlab"
    /// ("inferlab-trial-4242-1f3a" -> 4242); `nil` for any other name.
    public static func creator(ofName name: String) -> Int32? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard name.hasPrefix("inferlab"), parts.count >= 3, let random = parts.last, (1...8).contains(random.count),
            random.allSatisfy({ $0.isASCII && $0.isHexDigit }),
            parts[parts.count - 2].allSatisfy({ $0.isASCII && $0.isNumber }),
            let pid = Int32(parts[parts.count - 2]), pid > 0
        else { return nil }
        return pid
    }

    /// Creates `name` beneath the invoking process's own cgroup (never elsewhere).
    ///
    /// - Parameters:
    ///   - location: the invoking process's cgroups; the default reads /proc/self.
    ///   - fs: the file system; the default is cgroupfs.
    public static func create(
        name: String = uniqueName(), location: CgroupLocation? = nil,
        fs: any CgroupFileSystem = PosixCgroupFileSystem()
    ) throws -> any CgroupController {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw ConstraintError(.invalidConfiguration, "cgroup name '\(name)' must be one path component")
        }
        let location = try location ?? ProcFS.cgroupLocation(of: getpid())
        switch preferredVersion(location: location, fs: fs) {
        case .v2: return try CgroupV2Controller.create(name: name, location: location, fs: fs)
        case .v1: return try CgroupV1Controller.create(name: name, location: location, fs: fs)
        case nil:
            throw ConstraintError(
                .noCgroups, "no cgroup hierarchy offers the cpu or memory controller to this process")
        }
    }
}
