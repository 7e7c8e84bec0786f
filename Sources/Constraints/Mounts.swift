import Foundation
import SystemProbe

/// The mounts InferLab makes itself (a private tracefs) and how they are found and removed.
public enum Mounts {
    /// Whether `path` is a mount point (`/proc/mounts` names it).
    static func isMountPoint(_ path: String, mounts: String? = ProcFS.read("/proc/mounts")) -> Bool {
        (mounts ?? "").split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count >= 2 && fields[1] == path
        }
    }

    /// Unmounts `path` (lazily: a reader still holding a file does not keep it) and removes the
    /// directory; the failure, if any.
    static func unmount(_ path: String) -> String? {
        if isMountPoint(path), umount2(path, Int32(MNT_DETACH)) != 0 {
            return "unmount \(path): \(String(cString: strerror(errno)))"
        }
        if rmdir(path) != 0 && errno != ENOENT { return "remove \(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    /// Where tracefs is mounted (`/proc/mounts`), in mount order.
    public static func tracefsRoots() -> [String] { tracefsRoots(mounts: ProcFS.read("/proc/mounts") ?? "") }

    static func tracefsRoots(mounts: String) -> [String] {
        mounts.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count >= 3 && fields[2] == "tracefs" ? String(fields[1]) : nil
        }
    }

    /// The tracefs instances named by `Cgroups.uniqueName` in every mounted tracefs, and the
    /// private tracefs mount points (`inferlab-tracefs-PID-XXXX`) in `directory`, mounted or not.
    public static func inferlabTraceResources(beneath directory: String)
        -> [LeasedResource]
    {
        var resources: [LeasedResource] = []
        let roots = tracefsRoots()
        for root in roots {
            for name in ProcFS.list(root + "/instances") where Cgroups.creator(ofName: name) != nil {
                resources.append(.traceInstance(directory: root + "/instances/" + name))
            }
        }
        let own = Set(roots.filter { $0.hasPrefix(directory + "/") })
        let present = ProcFS.list(directory).filter { $0.hasPrefix("inferlab-tracefs-") }.map { directory + "/" + $0 }
        for path in own.union(present).sorted() { resources.append(.mount(path: path)) }
        return resources
    }
}
