/// Which cgroup hierarchies `/proc/mounts` shows. Pure; tested on fixtures.
public struct CgroupLayout: Sendable, Equatable {
    /// `v1`, `v2`, `hybrid`, or nil when no cgroup file system is mounted.
    public var version: String?
    /// Where cgroup2 is mounted, if it is.
    public var v2Mount: String?
    /// The controllers mounted as v1 hierarchies (named hierarchies such as `name=systemd` left out), sorted.
    public var v1Controllers: [String]

    /// Derives the layout from the mounts.
    public init(mounts: [SystemText.Mount]) {
        let known: Set<String> = [
            "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids", "devices", "freezer", "net_cls",
            "net_prio", "perf_event", "hugetlb", "rdma", "misc",
        ]
        var controllers = Set<String>()
        var hasV1 = false
        v2Mount = nil
        for mount in mounts {
            if mount.type == "cgroup2" {
                if v2Mount == nil { v2Mount = mount.mountPoint }
            } else if mount.type == "cgroup" {
                hasV1 = true
                controllers.formUnion(mount.options.filter { known.contains($0) })
            }
        }
        v1Controllers = controllers.sorted()
        switch (hasV1, v2Mount != nil) {
        case (true, true): version = "hybrid"
        case (true, false): version = "v1"
        case (false, true): version = "v2"
        case (false, false): version = nil
        }
    }
}
