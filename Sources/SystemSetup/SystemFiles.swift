import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads and writes kernel files beneath a root directory, so a fixture tree can stand in for `/proc` and `/sys`.
///
/// Paths given to it are absolute as on a real machine (`/proc/sys/vm/swappiness`); they are resolved beneath
/// `root`. The default root is `/`.
public struct SystemFiles: Sendable {
    /// The directory that stands for `/`. The default is `/`.
    public var root: String

    /// Creates a reader for the tree at `root`.
    public init(root: String = "/") {
        self.root = root
    }

    /// Whether this reader looks at the running machine rather than a fixture tree.
    public var isLiveRoot: Bool {
        URL(fileURLWithPath: root).standardizedFileURL.path == "/"
    }

    /// The real path of `path` beneath the root.
    public func resolve(_ path: String) -> String {
        if isLiveRoot { return path }
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        return URL(fileURLWithPath: root).appendingPathComponent(trimmed).path
    }

    /// The file's text, or nil when it is missing or unreadable.
    public func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: resolve(path)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The file's text without surrounding white space, or nil when it is missing, unreadable or empty.
    public func readTrimmed(_ path: String) -> String? {
        guard let text = read(path)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            return nil
        }
        return text
    }

    /// Whether a file or directory exists at `path`.
    public func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: resolve(path))
    }

    /// The names in a directory, sorted; empty when it is missing.
    public func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: resolve(path))) ?? []).sorted()
    }

    /// Writes `value` to an existing kernel file the way `echo value > path` does (no create, no truncate race).
    ///
    /// - Returns: nil on success, or the reason the write failed (`permission denied`, `not exposed`, ...).
    public func write(_ value: String, to path: String) -> String? {
        let real = resolve(path)
        let fd = open(real, O_WRONLY | O_TRUNC)
        if fd < 0 { return Self.reason(errno: errno, path: path) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written != bytes.count { return Self.reason(errno: errno, path: path) }
        return nil
    }

    /// A short reason for a failed open or write.
    static func reason(errno code: Int32, path: String) -> String {
        switch code {
        case EACCES, EPERM, EROFS:
            return "permission denied writing \(path) (run as root, outside a read-only container)"
        case ENOENT: return "not exposed: \(path) does not exist on this kernel or hypervisor"
        default: return "writing \(path) failed: \(String(cString: strerror(code)))"
        }
    }
}
