import Foundation
import SystemProbe
import Testing
import TestSupport
@testable import Constraints

/// Controls on the real kernel (root, cgroup v1 here). Serialized: they measure CPU time and
/// page-cache state, which parallel tests would disturb.
@Suite(.serialized) struct KernelControlTests {
    static var hasCgroups: Bool {
        guard let location = try? ProcFS.cgroupLocation(of: getpid()) else { return false }
        return getuid() == 0 && Cgroups.preferredVersion(location: location, fs: PosixCgroupFileSystem()) != nil
    }

    /// No cgroup named inferlab-<our pid>-* is left in any hierarchy.
    func leftovers() -> [String] {
        guard let location = try? ProcFS.cgroupLocation(of: getpid()) else { return [] }
        let prefix = "inferlab-\(getpid())-"
        let parents = Array(location.v1Directories.values) + [location.v2Directory].compactMap { $0 }
        return parents.flatMap { dir in ProcFS.list(dir).filter { $0.hasPrefix(prefix) }.map { dir + "/" + $0 } }
    }

    @Test func cpuQuotaThrottlesABusyChild() async throws {
        try #require(Self.hasCgroups, "needs root and a cgroup cpu controller")
        let result = try await ConstrainedExec.run(
            ExecOptions(command: ["timeout", "2", "sh", "-c", "while :; do :; done"], cpuQuotaCores: 0.2))
        #expect(result.controls["cpu_quota"]?.applied == true)
        #expect(result.exitStatus == 124)  // timeout's status
        let usage = Double(try #require(result.cpu.usageUsec))
        let cores = usage / (result.wallMs * 1000)
        #expect(abs(cores - 0.2) <= 0.05, "used \(cores) cores")
        #expect((result.cpu.nrThrottled ?? 0) > 0)
        #expect((result.cpu.throttledUsec ?? 0) > 0)
        #expect(result.cgroupRemoved == true)
        #expect(leftovers().isEmpty)
    }

    @Test func memoryLimitOOMKillsAToucherAndReportsIt() async throws {
        try #require(Self.hasCgroups, "needs root and a cgroup memory controller")
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let result = try await ConstrainedExec.run(
            ExecOptions(
                command: [python, "-c", "x = b'x' * (400 << 20); print(len(x))"], memoryMaxBytes: 200 << 20))
        #expect(result.controls["memory_max"]?.applied == true)
        #expect(result.signal == SIGKILL)
        #expect(result.exitStatus == nil)
        let killed =
            (result.memory.oomKill ?? 0) > 0 || (result.memory.failcnt ?? 0) > 0 || (result.memory.maxEvents ?? 0) > 0
        #expect(killed)
        #expect((result.memory.oomKill ?? 0) >= 1)
        #expect((result.memory.peakBytes ?? 0) > 150 << 20)
        #expect(result.cgroupRemoved == true)
        #expect(leftovers().isEmpty)
    }

    @Test func affinityIsAppliedAndVerified() async throws {
        let child = try ProbeChildProcess("/bin/sleep", ["5"])
        defer { child.kill() }
        let outcome = CPUAffinity.apply([0], to: child.pid)
        #expect(outcome.applied, "\(outcome.reason)")
        #expect(CPUAffinity.allowedCPUs(of: child.pid) == [0])
        let bad = CPUAffinity.apply([4000], to: child.pid)
        #expect(!bad.applied)
        #expect(!bad.reason.isEmpty)
        // Through exec: the gate pins the command before it runs.
        let result = try await ConstrainedExec.run(ExecOptions(command: ["true"], cpus: [1], collectCgroupStats: false))
        #expect(result.controls["affinity"]?.applied == true)
        #expect(result.controls["affinity"]?.reason.contains("Cpus_allowed_list=1") == true)
        #expect(result.exitStatus == 0)
    }

    @Test func aMissingCommandExits127AndLeavesNothing() async throws {
        let result = try await ConstrainedExec.run(ExecOptions(command: ["/nonexistent/inferlab-test-cmd"]))
        #expect(result.exitStatus == 127)
        #expect(leftovers().isEmpty)
    }

    @Test func builtinCPUBurnerUsesItsShare() async throws {
        let before = ProcessInfo.processInfo.systemUptime
        let cpuBefore = processCPUSeconds()
        let load = try BackgroundLoad.start(
            BackgroundLoadConfiguration(cpuWorkers: 1, loadPercent: 50, durationSeconds: 1, useStressNG: false))
        #expect(load.outcomes["cpu_load"]?.applied == true)
        await load.wait()
        let wall = ProcessInfo.processInfo.systemUptime - before
        let used = processCPUSeconds() - cpuBefore
        #expect(!load.isRunning)
        // 50 % of a period is burned by wall clock, so a busy machine gives it less CPU.
        #expect(used / wall > 0.15 && used / wall < 0.75, "burned \(used) s in \(wall) s")
        let idleBefore = processCPUSeconds()
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(processCPUSeconds() - idleBefore < 0.1, "the burner kept running after its duration")
    }

    @Test func stressNGAndTheMemoryLocker() async throws {
        let lockedBefore = ProcessStatus.parse(ProcFS.read("/proc/self/status") ?? "").vmLck ?? 0
        let load = try BackgroundLoad.start(
            BackgroundLoadConfiguration(cpuWorkers: 1, loadPercent: 20, durationSeconds: 5, lockMemoryBytes: 32 << 20))
        defer { load.stop() }
        #expect(load.outcomes["cpu_load"]?.applied == true)
        if BackgroundLoad.stressNGPath != nil {
            #expect(load.outcomes["cpu_load"]?.reason.hasPrefix("stress-ng") == true)
        }
        #expect(load.outcomes["memory_lock"]?.applied == true)
        let locked = ProcessStatus.parse(ProcFS.read("/proc/self/status") ?? "").vmLck ?? 0
        #expect(locked >= lockedBefore + (32 << 20))
        let reason = load.outcomes["cpu_load"]?.reason ?? ""
        let workerPid = reason.split(separator: "(pid ").last.flatMap { Int32($0.prefix(while: \.isNumber)) }
        load.stop()
        if BackgroundLoad.stressNGPath != nil {
            let pid = try #require(workerPid)
            #expect(!ProcFS.exists("/proc/\(pid)/stat"), "stress-ng \(pid) still running after stop()")
        }
        let after = ProcessStatus.parse(ProcFS.read("/proc/self/status") ?? "").vmLck ?? 0
        #expect(after < locked)
        #expect(!load.isRunning)
    }

    func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
