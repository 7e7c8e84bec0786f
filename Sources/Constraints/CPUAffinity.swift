#if canImport(Glibc)
    import Glibc
#endif
import SystemProbe

/// CPU affinity of a process (`sched_setaffinity`), verified from `Cpus_allowed_list`.
public enum CPUAffinity {
    private typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32

    /// glibc's `sched_setaffinity` (not exported by the Swift Glibc module).
    private static let setAffinity: SetAffinity? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "sched_setaffinity") else { return nil }
        return unsafeBitCast(symbol, to: SetAffinity.self)
    }()

    /// The CPUs a process may run on, read from `/proc/<pid>/status`.
    public static func allowedCPUs(of pid: Int32) -> [Int]? {
        guard let text = ProcFS.read("/proc/\(pid)/status"),
            let list = ProcessStatus.parse(text).cpusAllowedList
        else { return nil }
        return CPUList.parse(list)
    }

    /// Pins each compute thread of `pid` to one CPU: threads whose name starts with one of
    /// `names` (in that order, then by tid), round robin over `cpus`. Returns what went where.
    public static func pinThreads(of pid: Int32, names: [String], cpus: [Int]) -> ControlOutcome {
        guard let setAffinity else { return .notApplied("sched_setaffinity is not available", value: "one per CPU") }
        guard !cpus.isEmpty else { return .notApplied("no CPU to pin to", value: "one per CPU") }
        let named = ProcFS.threads(of: pid).compactMap { tid -> (tid: Int32, name: String)? in
            guard
                let comm = ProcFS.read("/proc/\(pid)/task/\(tid)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines)
            else { return nil }
            return (tid, comm)
        }
        let compute = names.flatMap { prefix in
            named.filter { $0.name.hasPrefix(prefix) }.sorted {
                $0.name == $1.name ? $0.tid < $1.tid : $0.name < $1.name
            }
        }
        guard !compute.isEmpty else {
            return .notApplied(
                "no thread named \(names.joined(separator: " or ")) in \(pid) (threads: "
                    + named.map(\.name).joined(separator: ", ") + ")", value: "one per CPU")
        }
        var placed: [String] = []
        for (index, thread) in compute.enumerated() {
            let cpu = cpus[index % cpus.count]
            var set = cpu_set_t()
            withUnsafeMutableBytes(of: &set) { $0[cpu / 8] |= UInt8(1 << (cpu % 8)) }
            let status = withUnsafeBytes(of: &set) { setAffinity(thread.tid, $0.count, $0.baseAddress!) }
            if status != 0 {
                let code = errno
                return .notApplied(
                    "sched_setaffinity(\(thread.tid)) failed: \(String(cString: strerror(code)))", value: "one per CPU")
            }
            placed.append("\(thread.name)→\(cpu)")
        }
        let shared = compute.count > cpus.count ? " (\(compute.count) threads on \(cpus.count) CPUs: some share)" : ""
        return .applied(
            "sched_setaffinity per thread: " + placed.joined(separator: ", ") + shared, value: "one per CPU")
    }

    /// Pins every thread of `pid` to `cpus` and checks `Cpus_allowed_list` afterwards.
    public static func apply(_ cpus: [Int], to pid: Int32) -> ControlOutcome {
        let list = CPUList.format(cpus)
        let online = CPUList.parse(ProcFS.read("/sys/devices/system/cpu/online") ?? "") ?? []
        if let bad = cpus.first(where: { !online.isEmpty && !online.contains($0) }) {
            return .notApplied("CPU \(bad) is not online (online: \(CPUList.format(online)))", value: list)
        }
        guard let setAffinity else { return .notApplied("sched_setaffinity is not available", value: list) }
        var set = cpu_set_t()
        let fits = withUnsafeMutableBytes(of: &set) { bytes -> Bool in
            for cpu in cpus {
                guard cpu / 8 < bytes.count else { return false }
                bytes[cpu / 8] |= UInt8(1 << (cpu % 8))
            }
            return true
        }
        guard fits, !cpus.isEmpty else {
            return .notApplied("the CPU list '\(list)' is empty or too large", value: list)
        }
        let threads = ProcFS.threads(of: pid)
        for tid in threads.isEmpty ? [pid] : threads {
            let status = withUnsafeBytes(of: &set) { setAffinity(tid, $0.count, $0.baseAddress!) }
            if status != 0 {
                let code = errno
                return .notApplied(
                    "sched_setaffinity(\(tid)) failed: \(String(cString: strerror(code)))\(PosixCgroupFileSystem.hint(code))",
                    value: list)
            }
        }
        guard let allowed = allowedCPUs(of: pid) else {
            return .notApplied("cannot read Cpus_allowed_list of \(pid) to verify", value: list)
        }
        guard allowed == Array(Set(cpus)).sorted() else {
            return .notApplied("Cpus_allowed_list is \(CPUList.format(allowed)) after setting \(list)", value: list)
        }
        return .applied("sched_setaffinity; Cpus_allowed_list=\(CPUList.format(allowed))", value: list)
    }
}
