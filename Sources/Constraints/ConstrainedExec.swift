import Foundation
import InferLabCore
import SystemProbe
import UnixSignals

/// Runs a command under controls: a child cgroup (CPU quota, memory limits, cpuset), CPU
/// affinity and page-cache state; reports the cgroup's counters at exit and removes the
/// cgroup afterwards, also after an error or SIGINT / SIGTERM (forwarded to the command).
public enum ConstrainedExec {
    /// Runs `options.command` to completion. The command inherits stdin, stdout and stderr.
    ///
    /// The command starts gated: a `/bin/sh` waits on a pipe while it is moved into the cgroup
    /// and pinned, then `exec`s the command (same pid), so nothing runs outside the controls.
    public static func run(_ options: ExecOptions) async throws -> ExecResult {
        try options.validate()
        var controls: [String: ControlOutcome] = [:]
        if let file = options.coldCacheFile { controls["cold_cache"] = PageCache.evict(path: file) }
        if let file = options.warmCacheFile { controls["warm_cache"] = PageCache.prewarm(path: file) }

        var cgroup: (any CgroupController)?
        var cgroupFailure = ""
        if options.needsCgroup {
            do {
                cgroup = try Cgroups.create()
            } catch {
                cgroupFailure = "no cgroup: \(error)"
            }
        }
        defer { cgroup?.removeQuietly() }
        func viaCgroup(_ name: String, _ value: String, _ apply: (any CgroupController) -> ControlOutcome) {
            controls[name] = cgroup.map(apply) ?? .notApplied(cgroupFailure, value: value)
        }
        if let cores = options.cpuQuotaCores { viaCgroup("cpu_quota", "\(cores)") { $0.setCPUQuota(cores: cores) } }
        if let bytes = options.memoryMaxBytes { viaCgroup("memory_max", "\(bytes)") { $0.setMemoryMax(bytes: bytes) } }
        if let bytes = options.memoryHighBytes {
            viaCgroup("memory_high", "\(bytes)") { $0.setMemoryHigh(bytes: bytes) }
        }
        if let cpus = options.cpus {
            viaCgroup("cpuset", CPUList.format(cpus)) { $0.setCPUs(cpus) }
        }

        // Trapped before the spawn, so a Ctrl-C from now on reaches the command, not this process.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let child = try GatedChild.spawn(options.command)
        let start = MonotonicInstant.now()
        var moved = true
        if let cgroup {
            do {
                try cgroup.add(pid: child.pid)
            } catch {
                moved = false
                for name in ["cpu_quota", "memory_max", "memory_high", "cpuset"] where controls[name]?.applied == true {
                    controls[name] = .notApplied(
                        "cannot move pid \(child.pid) into the cgroup: \(error)", value: controls[name]?.value)
                }
            }
        }
        if let cpus = options.cpus { controls["affinity"] = CPUAffinity.apply(cpus, to: child.pid) }
        child.release()

        let status = await child.wait(forwarding: signals)
        let wall = start.elapsed.milliseconds

        let exit = ProcessExit.fromWaitStatus(status)
        var result = ExecResult(
            exitStatus: exit.status, signal: exit.signal, cgroupVersion: nil, cgroupPath: nil, controls: controls,
            cpu: .init(), memory: .init(), wallMs: wall, pid: child.pid)
        if let cgroup, moved {
            let stats = cgroup.stats()
            result.cgroupVersion = cgroup.version
            result.cgroupPath = cgroup.path
            result.cgroup = stats
            result.cpu = .init(
                usageUsec: stats.usageMicroseconds, nrPeriods: stats.nrPeriods, nrThrottled: stats.nrThrottled,
                throttledUsec: stats.throttledMicroseconds)
            result.memory = .init(
                peakBytes: stats.memoryPeakBytes, oomKill: stats.oomKill, failcnt: stats.failcnt,
                maxEvents: stats.eventsMax)
        }
        if let cgroup {
            result.cgroupRemoved = cgroup.removeQuietly()
        }
        return result
    }
}
