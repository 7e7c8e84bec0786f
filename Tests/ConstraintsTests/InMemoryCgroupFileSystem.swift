import Constraints
import Foundation

/// A cgroup tree in memory that imitates the kernel's rules closely enough for the backends:
/// mkdir creates the control files, cgroup.procs moves a pid, rmdir refuses a busy cgroup. On
/// v2 also the rules real kernels enforce: no internal processes (outside the root, a cgroup
/// with processes cannot enable controllers for its children, nor can a process join a cgroup
/// that has), controllers offered to a child only once its parent enabled them, and ownership
/// (a user other than root writes only what was delegated to it: chowned, or made by it; moving
/// a process needs the common ancestor's cgroup.procs).
final class InMemoryCgroupFileSystem: CgroupFileSystem, @unchecked Sendable {
    private let lock = NSLock()
    private var files: [String: String] = [:]
    private var directories: Set<String> = []
    private var owners: [String: UInt32] = [:]
    let version: Int
    /// Where the hierarchy is mounted: its root is exempt from the no-internal-processes rule.
    let mount = "/sys/fs/cgroup"
    /// The user the calls are made as (0: root).
    var actingUID: UInt32 {
        get { lock.withLock { uid } }
        set { lock.withLock { uid = newValue } }
    }
    private var uid: UInt32 = 0
    /// Every write, in order ("path=value").
    private(set) var writes: [String] = []

    init(version: Int) { self.version = version }

    /// Delegates a cgroup to `uid` as systemd does: the directory, cgroup.procs, cgroup.threads
    /// and cgroup.subtree_control are chowned.
    func delegate(_ directory: String, to uid: UInt32) {
        lock.withLock {
            for path in [directory]
                + ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"].map({
                    directory + "/" + $0
                })
            {
                owners[path] = uid
            }
        }
    }

    private func permitted(_ path: String) -> Bool { uid == 0 || owners[path, default: 0] == uid }

    private func words(_ path: String) -> Set<String> {
        Set((files[path] ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    private func parent(_ path: String) -> String { (path as NSString).deletingLastPathComponent }

    /// The interface files a controller adds to a child.
    private static func interfaceFiles(_ controller: String) -> [String: String] {
        switch controller {
        case "cpu": ["cpu.max": "max 100000\n", "cpu.stat": "usage_usec 0\n"]
        case "memory": ["memory.max": "max\n", "memory.high": "max\n", "memory.current": "0\n"]
        case "cpuset": ["cpuset.cpus": "\n"]
        default: [:]
        }
    }

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
            guard permitted(path) else { throw error(EACCES, path) }
            let name = (path as NSString).lastPathComponent
            let dir = (path as NSString).deletingLastPathComponent
            if version == 2 && name == "cgroup.procs" {
                if dir != mount && !words(dir + "/cgroup.subtree_control").isEmpty { throw error(EBUSY, path) }
                if uid != 0 {
                    // The writer needs the cgroup.procs of the common ancestor of source and target.
                    let source =
                        files.first {
                            $0.key.hasSuffix("/cgroup.procs")
                                && $0.value.split(separator: "\n").contains(Substring(value))
                        }
                        .map { parent($0.key) } ?? mount
                    var common = dir
                    while !(source + "/").hasPrefix(common + "/") && common != mount { common = parent(common) }
                    guard permitted(common + "/cgroup.procs") else { throw error(EACCES, common + "/cgroup.procs") }
                }
            }
            if version == 2 && name == "cgroup.subtree_control" && value.hasPrefix("+") {
                if dir != mount && !(files[dir + "/cgroup.procs"] ?? "").isEmpty { throw error(EBUSY, path) }
            }
            writes.append("\(path)=\(value)")
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
                guard words(dir + "/cgroup.controllers").contains(controller) else { throw error(ENOENT, path) }
                var enabled = Set(
                    (files[path] ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
                enabled.insert(controller)
                files[path] = enabled.sorted().joined(separator: " ") + "\n"
                // The children are offered it now.
                for child in directories where parent(child) == dir {
                    var offered = words(child + "/cgroup.controllers")
                    guard version == 2, !offered.contains(controller) else { continue }
                    offered.insert(controller)
                    files[child + "/cgroup.controllers"] = offered.sorted().joined(separator: " ") + "\n"
                    for (file, text) in Self.interfaceFiles(controller) {
                        files[child + "/" + file] = text
                        owners[child + "/" + file] = owners[child]
                    }
                }
            default:
                files[path] = value + "\n"
            }
        }
    }

    func makeDirectory(_ path: String) throws {
        try lock.withLock {
            let parent = parent(path)
            guard directories.contains(parent) else { throw error(ENOENT, path) }
            guard !directories.contains(path) else { throw error(EEXIST, path) }
            guard permitted(parent) else { throw error(EACCES, path) }
            directories.insert(path)
            owners[path] = uid
            files[path + "/cgroup.procs"] = ""
            defer { for key in files.keys where key.hasPrefix(path + "/") { owners[key] = uid } }
            if version == 2 {
                let enabled = words(parent + "/cgroup.subtree_control")
                files[path + "/cgroup.controllers"] = enabled.sorted().joined(separator: " ") + "\n"
                files[path + "/cgroup.subtree_control"] = "\n"
                for controller in enabled {
                    for (file, text) in Self.interfaceFiles(controller) { files[path + "/" + file] = text }
                }
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
            guard permitted(parent(path)) else { throw error(EACCES, path) }
            if !(files[path + "/cgroup.procs"] ?? "").isEmpty
                || directories.contains(where: { $0.hasPrefix(path + "/") })
            {
                throw error(EBUSY, path)
            }
            directories.remove(path)
            for key in files.keys where key.hasPrefix(path + "/") { files[key] = nil }
            for key in owners.keys where key == path || key.hasPrefix(path + "/") { owners[key] = nil }
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
