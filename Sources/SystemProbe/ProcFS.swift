#if canImport(Glibc)
    import Glibc
#endif

/// The I/O adapter for procfs, sysfs and cgroupfs: small files read with one `open`/`read`
/// (cheap enough for 100 Hz sampling), and directory listings.
public enum ProcFS {
    /// The text of a file, or `nil` when it cannot be opened or read.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Like `read`, but throws an error naming the file.
    public static func require(_ path: String) throws -> String {
        guard let text = read(path) else {
            throw ProbeError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return text
    }

    /// The entry names of a directory (without "." and ".."), or `[]`.
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether a path exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Clock ticks per second (utime/stime units), normally 100.
    public static let ticksPerSecond: Double = {
        let value = sysconf(Int32(_SC_CLK_TCK))
        return value > 0 ? Double(value) : 100
    }()

    /// The page size in bytes.
    public static let pageSize: Int = {
        let value = sysconf(Int32(_SC_PAGESIZE))
        return value > 0 ? value : 4096
    }()

    /// The thread ids of a process.
    public static func threads(of pid: Int32) -> [Int32] {
        list("/proc/\(pid)/task").compactMap { Int32($0) }.sorted()
    }

    /// The cgroup location of a process (`/proc/<pid>/cgroup` + this process's mountinfo).
    public static func cgroupLocation(of pid: Int32) throws -> CgroupLocation {
        let procCgroup = try require("/proc/\(pid)/cgroup")
        return CgroupLocation.parse(procCgroup: procCgroup, mountinfo: read("/proc/self/mountinfo") ?? "")
    }

    /// Reads the cgroup files of one version from the given directories (v1: the cpu, cpuacct
    /// and memory directories; v2: one directory) and parses them.
    public static func cgroupStats(version: CgroupVersion, path: String, directories: [String]) -> CgroupStats {
        var files: [String: String] = [:]
        for name in CgroupStats.fileNames(for: version) {
            for directory in directories {
                if let text = read(directory + "/" + name) {
                    files[name] = text
                    break
                }
            }
        }
        return CgroupStats.parse(version: version, path: path, files: files)
    }
}
