public import SystemProbe

/// A child cgroup created beneath the invoking process's own cgroup, with one backend per
/// cgroup version. Every setter reports whether it took effect and why.
public protocol CgroupController: Sendable {
    /// Which interface the backend drives.
    var version: CgroupVersion { get }
    /// The child's path inside its hierarchy (v1: inside each controller's hierarchy).
    var path: String { get }
    /// Every directory of the child on disk (v1: one in each hierarchy it was created in).
    var directoryPaths: [String] { get }
    /// Sets the CPU bandwidth limit in cores (0.5 = half of one CPU per period).
    func setCPUQuota(cores: Double) -> ControlOutcome
    /// Sets the hard memory limit (v2 memory.max, v1 memory.limit_in_bytes).
    func setMemoryMax(bytes: UInt64) -> ControlOutcome
    /// Sets the throttling memory limit (v2 memory.high; v1 has none).
    func setMemoryHigh(bytes: UInt64) -> ControlOutcome
    /// Restricts the CPUs (cpuset.cpus) when the cpuset controller is available.
    func setCPUs(_ cpus: [Int]) -> ControlOutcome
    /// Moves a process (all its threads) into the cgroup.
    func add(pid: Int32) throws
    /// The pids in the cgroup.
    func members() -> [Int32]
    /// The cgroup's counters.
    func stats() -> CgroupStats
    /// Moves members back to the parent and removes the cgroup (idempotent).
    func remove() throws
}

/// The period used for CPU quotas: 100 ms, the kernel's default.
let cpuPeriodMicroseconds: UInt64 = 100_000

extension CgroupController {
    /// The quota in microseconds per period for `cores`, at least the kernel's 1 ms minimum.
    static func quotaMicroseconds(cores: Double) -> UInt64 {
        max(1000, UInt64((cores * Double(cpuPeriodMicroseconds)).rounded()))
    }

    /// Removes the cgroup and swallows the error (for `defer` blocks); returns whether it worked.
    @discardableResult
    public func removeQuietly() -> Bool {
        do {
            try remove()
            return true
        } catch {
            return false
        }
    }
}

/// Parses a pid list (cgroup.procs).
func pidList(_ text: String?) -> [Int32] {
    (text ?? "").split(whereSeparator: { $0 == "\n" || $0 == " " }).compactMap { Int32($0) }
}
