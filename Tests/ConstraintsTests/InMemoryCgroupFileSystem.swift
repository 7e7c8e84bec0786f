import Constraints
import Foundation

/// A cgroup tree in memory that imitates the kernel's rules closely enough for the backends:
/// mkdir creates the control files, cgroup.procs moves a pid, rmdir refuses a busy cgroup.
final class InMemoryCgroupFileSystem: CgroupFileSystem, @unchecked Sendable {
    private let lock = NSLock()
    private var files: [String: String] = [:]
    private var directories: Set<String> = []
    let version: Int
    /// Every write, in order ("path=value").
    private(set) var writes: [String] = []

    init(version: Int) { self.version = version }

    /// Adds a directory with files (a fixture's contents).
    func seed(_ directory: String, _ contents: [String: String]) {
        lock.withLock {
            directories.insert(directory)
            for (name, text) in contents { files[directory + "/" + name] = text }
        }
    }

    func read(_ path: String) -> String? { lock.withLock { files[path] } }

    func write(_ path: String, _ value: String) throws {
        try lock.withLock {
            guard files[path] != nil else { throw error(ENOENT, path) }
            writes.append("\(path)=\(value)")
            let name = (path as NSString).lastPathComponent
            let dir = (path as NSString).deletingLastPathComponent
            switch name {
            case "cgroup.procs", "tasks":
                // v1 hierarchies are independent: a move only leaves cgroups of the same mount.
                let root = version == 1 ? path.split(separator: "/").prefix(4).joined(separator: "/") + "/" : ""
                for key in files.keys where key.hasSuffix("/cgroup.procs") && key.dropFirst().hasPrefix(root) {
                    files[key] = files[key]!.split(separator: "\n").filter { $0 != value }.map { $0 + "\n" }.joined()
                }
                files[path, default: ""] += value + "\n"
            case "cgroup.subtree_control":
                let controller = String(value.dropFirst())
                let offered = (files[dir + "/cgroup.controllers"] ?? "").split(separator: " ").map(String.init)
                guard offered.contains(controller) else { throw error(ENOENT, path) }
                var enabled = Set(
                    (files[path] ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
                enabled.insert(controller)
                files[path] = enabled.sorted().joined(separator: " ") + "\n"
            default:
                files[path] = value + "\n"
            }
        }
    }

    func makeDirectory(_ path: String) throws {
        try lock.withLock {
            let parent = (path as NSString).deletingLastPathComponent
            guard directories.contains(parent) else { throw error(ENOENT, path) }
            guard !directories.contains(path) else { throw error(EEXIST, path) }
            directories.insert(path)
            files[path + "/cgroup.procs"] = ""
            if version == 2 {
                let enabled = (files[parent + "/cgroup.subtree_control"] ?? "").trimmingCharacters(
                    in: .whitespacesAndNewlines)
                files[path + "/cgroup.controllers"] = enabled + "\n"
                files[path + "/cgroup.subtree_control"] = "\n"
                if enabled.contains("cpu") { files[path + "/cpu.max"] = "max 100000\n" }
                if enabled.contains("memory") {
                    files[path + "/memory.max"] = "max\n"
                    files[path + "/memory.high"] = "max\n"
                }
                if enabled.contains("cpuset") { files[path + "/cpuset.cpus"] = "\n" }
            } else {
                for (key, value) in files
                where key.hasPrefix(parent + "/") && !key.dropFirst(parent.count + 1).contains("/") {
                    let name = (key as NSString).lastPathComponent
                    if name != "cgroup.procs" { files[path + "/" + name] = name.hasPrefix("cpuset.") ? "\n" : value }
                }
            }
        }
    }

    func removeDirectory(_ path: String) throws {
        try lock.withLock {
            guard directories.contains(path) else { throw error(ENOENT, path) }
            if !(files[path + "/cgroup.procs"] ?? "").isEmpty
                || directories.contains(where: { $0.hasPrefix(path + "/") })
            {
                throw error(EBUSY, path)
            }
            directories.remove(path)
            for key in files.keys where key.hasPrefix(path + "/") { files[key] = nil }
        }
    }

    func exists(_ path: String) -> Bool { lock.withLock { directories.contains(path) || files[path] != nil } }

    func children(of directory: String) -> [String] {
        lock.withLock {
            directories.filter { ($0 as NSString).deletingLastPathComponent == directory }
                .map { ($0 as NSString).lastPathComponent }.sorted()
        }
    }

    private func error(_ code: Int32, _ path: String) -> ConstraintError {
        ConstraintError(.cgroupWrite, "\(path): \(String(cString: strerror(code)))", errno: code)
    }
}
