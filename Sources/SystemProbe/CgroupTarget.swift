/// A cgroup to read: its version, its path in the hierarchy and the directories holding its
/// control files (one for v2; the cpu, cpuacct and memory directories for v1).
public struct CgroupTarget: Sendable, Codable, Equatable {
    public var version: CgroupVersion
    public var path: String
    public var directories: [String]

    public init(version: CgroupVersion, path: String, directories: [String]) {
        self.version = version
        self.path = path
        self.directories = directories
    }

    /// The v1 controllers whose files the model reads.
    static let v1Controllers = ["cpu", "cpuacct", "memory"]

    /// Picks the version that carries the controllers: v2 when the unified hierarchy has the
    /// cpu or memory controller, otherwise v1 when its cpu or memory hierarchy exists.
    public static func resolve(location: CgroupLocation, path explicit: String?) -> CgroupTarget? {
        let v2Controllers = location.v2Mount.flatMap { ProcFS.read($0 + "/cgroup.controllers") } ?? ""
        let v2HasControllers = v2Controllers.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .contains { $0 == "cpu" || $0 == "memory" }
        if let explicit,
            explicit.hasPrefix("/sys/") || explicit.hasPrefix("/") && ProcFS.exists(explicit + "/cgroup.procs")
        {
            // An absolute directory: find which mount it is under.
            if let mount = location.v2Mount, explicit == mount || explicit.hasPrefix(mount + "/") {
                return CgroupTarget(
                    version: .v2, path: String(explicit.dropFirst(mount.count)).nonEmptyPath, directories: [explicit])
            }
            for controller in v1Controllers {
                guard let own = location.v1Directories[controller], let inside = location.v1Paths[controller] else {
                    continue
                }
                let mount = CgroupLocation.mountPoint(directory: own, path: inside)
                if explicit == mount || explicit.hasPrefix(mount + "/") {
                    let path = String(explicit.dropFirst(mount.count)).nonEmptyPath
                    return v1(location: location, path: path)
                }
            }
            return nil
        }
        if v2HasControllers || location.v1Directories.isEmpty, let mount = location.v2Mount {
            let path = explicit ?? location.v2Path ?? "/"
            return CgroupTarget(version: .v2, path: path, directories: [CgroupLocation.join(mount, path)])
        }
        if let explicit { return v1(location: location, path: explicit) }
        let path = location.v1Paths["memory"] ?? location.v1Paths["cpu"] ?? "/"
        var target = v1(location: location, path: path)
        // In v1 each controller has its own path; use the process's own directory in each.
        target.directories = v1Controllers.compactMap { location.v1Directories[$0] }
        return target
    }

    /// The same hierarchy path in each v1 controller.
    static func v1(location: CgroupLocation, path: String) -> CgroupTarget {
        let directories = v1Controllers.compactMap { controller -> String? in
            guard let own = location.v1Directories[controller], let inside = location.v1Paths[controller] else {
                return nil
            }
            return CgroupLocation.join(CgroupLocation.mountPoint(directory: own, path: inside), path)
        }
        return CgroupTarget(version: .v1, path: path, directories: directories)
    }
}

extension CgroupLocation {
    /// The mount point of a hierarchy, given a directory in it and that directory's path.
    static func mountPoint(directory: String, path: String) -> String {
        guard path != "/", directory.hasSuffix(path) else { return directory }
        return String(directory.dropLast(path.count))
    }
}

extension String {
    var nonEmptyPath: String { isEmpty ? "/" : self }
}
