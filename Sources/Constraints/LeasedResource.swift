/// One thing an InferLab process creates that must not outlive it. A run records each in its
/// lease (`RunLease`) as it creates it; `LeftoverFinder` removes those of a run that died.
///
/// To add a kind (a tracefs instance, a mount): a case here, how to tell it is still there
/// (`LeftoverFinder.isPresent`), how to remove it (`LeftoverFinder.remove`) and its words in
/// `LeftoverRemoval.describe`.
public enum LeasedResource: Sendable, Codable, Hashable {
    /// A child process; `role` names it in messages ("engine", "stress-ng"; `nil`: found in a
    /// leftover cgroup, role unknown).
    case process(identity: ProcessIdentity, role: String?)
    /// A cgroup directory (on v1 a cgroup is one directory in each hierarchy).
    case cgroup(directory: String)
    /// A tracefs instance directory (`.../instances/inferlab-PID-XXXX`): removing it disables
    /// every event it enabled and frees its buffer.
    case traceInstance(directory: String)
    /// A file system InferLab mounted in a directory of its own (a private tracefs).
    case mount(path: String)
}

extension RunLease {
    /// Records a cgroup just created (all its directories).
    public func record(_ cgroup: any CgroupController) {
        record(cgroup.directoryPaths.map { .cgroup(directory: $0) })
    }

    /// Records a child just spawned, named `role` in messages.
    public func record(_ child: GatedChild, role: String) {
        if let identity = child.identity { record([.process(identity: identity, role: role)]) }
    }

    /// Records the processes of background load just started (stress-ng; the built-in burner and
    /// the memory locker are threads and memory of this process, which die with it).
    public func record(_ load: BackgroundLoad) {
        if let child = load.process { record(child, role: "stress-ng") }
    }
}
