#if canImport(Glibc)
    import Glibc
#endif
import SystemProbe

/// The file operations a cgroup backend needs; the real one uses POSIX calls on cgroupfs,
/// tests use an in-memory tree that imitates the kernel.
public protocol CgroupFileSystem: Sendable {
    func read(_ path: String) -> String?
    /// Writes a value to a control file (one `write`, as the kernel expects).
    func write(_ path: String, _ value: String) throws
    func makeDirectory(_ path: String) throws
    func removeDirectory(_ path: String) throws
    func exists(_ path: String) -> Bool
    /// The names of the cgroups directly beneath `directory` (its subdirectories), or `[]`.
    func children(of directory: String) -> [String]
}

/// cgroupfs through POSIX calls.
public struct PosixCgroupFileSystem: CgroupFileSystem {
    public init() {}

    public func read(_ path: String) -> String? { ProcFS.read(path) }

    public func write(_ path: String, _ value: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open \(path)") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw failure("write '\(value)' to \(path)") }
    }

    public func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw failure("mkdir \(path)") }
    }

    public func removeDirectory(_ path: String) throws {
        guard rmdir(path) == 0 else { throw failure("rmdir \(path)") }
    }

    public func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func children(of directory: String) -> [String] {
        ProcFS.list(directory).filter { exists(directory + "/" + $0 + "/cgroup.procs") }
    }

    private func failure(_ what: String) -> ConstraintError {
        let code = errno
        return ConstraintError(
            .cgroupWrite, "\(what) failed: \(String(cString: strerror(code)))\(Self.hint(code))", errno: code)
    }

    static func hint(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: return " (no permission: run as root or in a delegated cgroup)"
        case ENOENT: return " (file absent: the controller is not enabled here)"
        case EBUSY: return " (busy: the cgroup has processes or children)"
        default: return ""
        }
    }
}
