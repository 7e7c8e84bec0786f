/// Where a process's cgroups are: the v2 directory and the v1 directory of each controller.
///
/// Built purely from `/proc/<pid>/cgroup` and `/proc/self/mountinfo` text.
public struct CgroupLocation: Sendable, Codable, Equatable {
    /// The process's path in the unified (v2) hierarchy, e.g. "/" or "/user.slice/x".
    public var v2Path: String?
    /// Where cgroup2 is mounted, e.g. "/sys/fs/cgroup" or "/sys/fs/cgroup/unified".
    public var v2Mount: String?
    /// The v2 directory of the process (mount + path); `nil` without a cgroup2 mount.
    public var v2Directory: String? {
        guard let v2Path, let v2Mount else { return nil }
        return CgroupLocation.join(v2Mount, v2Path)
    }
    /// For each v1 controller ("cpu", "memory", ...), the process's directory.
    public var v1Directories: [String: String]
    /// For each v1 controller, the process's path inside its hierarchy.
    public var v1Paths: [String: String]

    enum CodingKeys: String, CodingKey {
        case v2Path = "v2_path", v2Mount = "v2_mount", v1Directories = "v1_directories", v1Paths = "v1_paths"
    }

    /// Parses `/proc/<pid>/cgroup` ("id:controllers:path" lines) and mountinfo.
    public static func parse(procCgroup: String, mountinfo: String) -> CgroupLocation {
        var location = CgroupLocation(v2Path: nil, v2Mount: nil, v1Directories: [:], v1Paths: [:])
        // mountinfo: "id parent major:minor root mountpoint options [optional...] - fstype source superoptions"
        var v1Mounts: [String: (root: String, point: String)] = [:]
        var v2Mount: (root: String, point: String)?
        for line in mountinfo.split(separator: "\n") {
            let tokens = line.split(separator: " ")
            guard let dash = tokens.firstIndex(of: "-") else { continue }
            let left = Array(tokens[..<dash])
            let right = Array(tokens[(dash + 1)...])
            guard left.count >= 5, right.count >= 3 else { continue }
            let mount = (root: unescape(String(left[3])), point: unescape(String(left[4])))
            if right[0] == "cgroup2" {
                v2Mount = v2Mount ?? mount
            } else if right[0] == "cgroup" {
                for option in right[2].split(separator: ",") where option != "rw" && option != "ro" {
                    v1Mounts[String(option)] = v1Mounts[String(option)] ?? mount
                }
            }
        }
        for line in procCgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                location.v2Path = path
                if let v2Mount {
                    location.v2Mount = v2Mount.point
                    location.v2Path = relative(path, toRoot: v2Mount.root)
                }
                continue
            }
            for controller in parts[1].split(separator: ",") {
                let name = String(controller)
                guard let mount = v1Mounts[name] else { continue }
                let inside = relative(path, toRoot: mount.root)
                location.v1Paths[name] = inside
                location.v1Directories[name] = join(mount.point, inside)
            }
        }
        return location
    }

    /// A path with the mount's root removed (a container sees its cgroup as the mount root).
    static func relative(_ path: String, toRoot root: String) -> String {
        guard root != "/", path.hasPrefix(root) else { return path }
        let rest = String(path.dropFirst(root.count))
        return rest.isEmpty ? "/" : rest
    }

    /// Joins a mount point and a cgroup path.
    static func join(_ mount: String, _ path: String) -> String {
        path == "/" ? mount : mount + (path.hasPrefix("/") ? path : "/" + path)
    }

    /// mountinfo escapes spaces and similar as \040 octal.
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if c == "\\", chars.count >= 3, let code = UInt8(String(chars.prefix(3)), radix: 8) {
                result.append(Character(UnicodeScalar(code)))
                chars = chars.dropFirst(3)
            } else {
                result.append(c)
            }
        }
        return result
    }
}
