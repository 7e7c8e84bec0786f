import Foundation
import SystemProbe
import Testing
import TestSupport

@testable import Constraints

/// Whether this process runs in the guest of `make test-cgroup-v2`, as root, with no v1 hierarchy.
enum V2Guest {
    static var isHere: Bool {
        ProcessInfo.processInfo.environment["INFERLAB_V2_GUEST"] == "1" && getuid() == 0
            && (try? ProcFS.cgroupLocation(of: getpid()))?.v1Directories.isEmpty == true
    }
}

/// The v2 backend on a real v2-only kernel: the guest of `make test-cgroup-v2` (scripts/guest),
/// which sets INFERLAB_V2_GUEST=1. They rearrange this test process's own cgroup and create
/// users' cgroups at the top of the hierarchy, so they run only in that disposable guest; on any
/// other machine they are skipped, and say so.
///
/// Each starts where real users are, never in the root cgroup: in a session holding another
/// process (a login shell), or alone in a cgroup delegated to an unprivileged user.
@Suite(.serialized, .enabled(if: V2Guest.isHere, "only in the v2 guest of make test-cgroup-v2"))
struct RealCgroupV2Tests {
    static let mount = "/sys/fs/cgroup"
    static let user: UInt32 = 1000
    /// llama.cpp's libraries copied where an unprivileged user can load them (the build's are
    /// beneath /root), set by the guest's driver.
    static var libraries: String { ProcessInfo.processInfo.environment["INFERLAB_V2_GUEST_LIB"] ?? "" }
    /// The inferlab binary copied where the unprivileged user can run it (the checkout may not be).
    static var userBinary: String { ProcessInfo.processInfo.environment["INFERLAB_V2_GUEST_BIN"] ?? TestPaths.inferlab }

    let fs = PosixCgroupFileSystem()

    func words(_ path: String) -> Set<String> {
        Set((fs.read(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    /// Runs `body` from a fresh cgroup `name` beneath the root holding this process and a
    /// stand-in for the login shell; puts everything back after.
    func inSession<T>(_ name: String, _ body: (String, Int32) async throws -> T) async throws -> T {
        let session = Self.mount + "/" + name
        try? fs.makeDirectory(session)
        let shell = try ProbeChildProcess("/bin/sleep", ["600"])
        try fs.write(session + "/cgroup.procs", "\(shell.pid)")
        try fs.write(session + "/cgroup.procs", "\(getpid())")
        defer {
            try? fs.write(Self.mount + "/cgroup.procs", "\(getpid())")
            shell.kill()
            _ = CgroupRemoval.remove(session, evacuatingTo: Self.mount, fs: fs)
        }
        return try await body(session, shell.pid)
    }

    /// Runs `inferlab ARGS` as the unprivileged user, from `cgroup` (a shell moves itself there,
    /// then drops root and execs: as systemd places a delegated scope).
    func asUser(from cgroup: String, _ arguments: [String]) throws -> CommandResult {
        let home = "/tmp/inferlab-user-home"
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        _ = chown(home, Self.user, Self.user)
        let command = ([Self.userBinary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try runProcess(
            "/bin/sh",
            [
                "-c",
                "echo $$ > \(cgroup)/cgroup.procs && exec setpriv --reuid=\(Self.user) --regid=\(Self.user) "
                    + "--clear-groups env HOME=\(home) LD_LIBRARY_PATH=\(Self.libraries) \(command)",
            ])
    }

    @Test func theGuestHasOnlyTheV2HierarchyWithTheControllers() throws {
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(mounts.contains(" - cgroup2 "))
        #expect(!mounts.contains(" - cgroup "), "a v1 hierarchy is mounted")
        #expect(words(Self.mount + "/cgroup.controllers").isSuperset(of: ["cpu", "memory", "cpuset", "io", "pids"]))
    }

    /// A login session as root: the session holds the shell, so the engine's cgroup goes beside
    /// it; the quota throttles, the cgroup's own cpu.pressure counts the stall; nothing is left.
    @Test func fromASessionWithAShellTheQuotaIsAppliedBesideIt() async throws {
        try await inSession("guest-session-a") { session, _ in
            let result = try await ConstrainedExec.run(
                ExecOptions(command: ["timeout", "2", "sh", "-c", "while :; do :; done"], cpuQuotaCores: 0.2))
            #expect(result.controls["cpu_quota"]?.applied == true, "\(result.controls)")
            #expect(result.cgroupVersion == .v2)
            let path = try #require(result.cgroupPath)
            #expect(path.hasPrefix("/inferlab-\(getpid())-"), "\(path): not beside the session")
            #expect(result.exitStatus == 124)
            let cores = Double(try #require(result.cpu.usageUsec)) / (result.wallMs * 1000)
            #expect(abs(cores - 0.2) <= 0.06, "used \(cores) cores")
            #expect((result.cpu.nrThrottled ?? 0) > 5)
            let stall = try #require(result.cgroup?.cpuPressure?.some?.totalMicroseconds)
            #expect(stall > 100_000, "cpu.pressure some of the throttled cgroup: \(stall) µs")
            #expect(result.cgroup?.memoryPressure != nil && result.cgroup?.ioPressure != nil)
            #expect(result.cgroupRemoved == true)
            #expect(!fs.exists(Self.mount + path))
            // The session's controllers were never touched: it holds processes.
            #expect(words(session + "/cgroup.subtree_control").isEmpty)
        }
    }

    @Test func fromASessionAMemoryLimitOOMKillsAndSaysSo() async throws {
        try await inSession("guest-session-b") { _, _ in
            let result = try await ConstrainedExec.run(
                ExecOptions(command: ["python3", "-c", "x = b'x' * (300 << 20)"], memoryMaxBytes: 100 << 20))
            #expect(result.controls["memory_max"]?.applied == true, "\(result.controls)")
            #expect(result.signal == SIGKILL)
            #expect((result.memory.oomKill ?? 0) >= 1, "memory.events oom_kill")
            #expect((result.memory.maxEvents ?? 0) >= 1, "memory.events max")
            #expect(result.cgroupRemoved == true)
        }
    }

    /// `systemd-run --user --scope -p Delegate=yes`: a cgroup chowned to uid 1000, the CLI alone
    /// in it. It moves itself into a leaf, enables the controllers in its own cgroup, and the
    /// command's cgroup gets its quota; the leaf it leaves behind is removed by the next run.
    @Test func aloneInADelegatedCgroupAnUnprivilegedUserGetsTheQuota() throws {
        try #require(!Self.libraries.isEmpty, "INFERLAB_V2_GUEST_LIB is not set")
        let delegated = Self.mount + "/guest-delegated"
        let scope = delegated + "/run-1.scope"
        try? fs.makeDirectory(delegated)
        defer {
            for child in fs.children(of: scope) {
                _ = CgroupRemoval.remove(scope + "/" + child, evacuatingTo: Self.mount, fs: fs)
            }
            _ = CgroupRemoval.remove(scope, evacuatingTo: Self.mount, fs: fs)
            _ = CgroupRemoval.remove(delegated, evacuatingTo: Self.mount, fs: fs)
        }
        for controller in ["cpu", "memory", "cpuset"] {
            try fs.write(Self.mount + "/cgroup.subtree_control", "+\(controller)")
            try fs.write(delegated + "/cgroup.subtree_control", "+\(controller)")
        }
        try fs.makeDirectory(scope)
        for file in ["", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"] {
            #expect(chown(scope + file, Self.user, Self.user) == 0)
        }
        let run = try asUser(
            from: scope,
            ["exec", "--cpu-quota", "0.2", "--json", "--", "timeout", "2", "sh", "-c", "while :; do :; done"])
        #expect(run.status == 124, "\(run.stderr)")
        let result = try JSONDecoder().decode(ExecResult.self, from: Data(run.stdout.utf8))
        #expect(result.controls["cpu_quota"]?.applied == true, "\(result.controls)")
        let path = try #require(result.cgroupPath)
        #expect(path.hasPrefix("/guest-delegated/run-1.scope/inferlab-"), "\(path)")
        #expect((result.cpu.nrThrottled ?? 0) > 5)
        #expect(words(scope + "/cgroup.subtree_control").isSuperset(of: ["cpu", "memory"]))
        // The CLI's leaf: named after it, empty now that it ended.
        let leaves = fs.children(of: scope).filter { $0.hasPrefix("inferlab-runner-") }
        #expect(leaves.count == 1, "\(fs.children(of: scope))")
        let cli = Cgroups.creator(ofName: (path as NSString).lastPathComponent)
        #expect(cli != nil && leaves.first.flatMap(Cgroups.creator(ofName:)) == cli)
        let removal = LeftoverFinder(
            leaseDirectory: URL(fileURLWithPath: "/tmp/inferlab-no-leases"), cgroupParents: [scope]
        ).reclaim()
        #expect(removal.failures.isEmpty, "\(removal.failures)")
        #expect(fs.children(of: scope).isEmpty, "\(fs.children(of: scope))")
    }

    /// The case: an unprivileged user in a login session, nothing delegated. The command
    /// still runs, and the quota says exactly why it is not in force and how to get it.
    @Test func anUndelegatedUserRunsWithoutTheQuotaAndIsToldWhy() async throws {
        try #require(!Self.libraries.isEmpty, "INFERLAB_V2_GUEST_LIB is not set")
        try await inSession("guest-session-c") { session, shell in
            let run = try asUser(from: session, ["exec", "--cpu-quota", "0.2", "--", "true"])
            #expect(run.status == 0, "\(run.stderr)")
            print(run.stderr, terminator: "")
            let line = try #require(run.stderr.split(separator: "\n").first { $0.contains("cpu_quota: not applied") })
            // The shell and this test process.
            #expect(line.contains("/guest-session-c holds other processes (pids "), "\(line)")
            #expect(line.contains("\(shell)") && line.contains("\(getpid())"), "\(line)")
            #expect(line.contains("no-internal-processes rule"), "\(line)")
            #expect(
                line.contains(
                    "not delegated to uid 1000; run under systemd-run --user --scope -p Delegate=yes, or as root"),
                "\(line)")
        }
    }

    /// A runner killed with SIGKILL while its command runs: the command dies with it, the cgroup
    /// stays, and the next run removes it and says so.
    @Test func aSIGKILLedRunnersCgroupIsRemovedByTheNextRun() async throws {
        try await inSession("guest-session-d") { _, _ in
            let runner = try ProbeChildProcess(TestPaths.inferlab, ["exec", "--cpu-quota", "0.5", "--", "sleep", "60"])
            var orphan: String?
            for _ in 0..<200 where orphan == nil {
                orphan = fs.children(of: Self.mount).first { $0.hasPrefix("inferlab-\(runner.pid)-") }
                if orphan == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let name = try #require(orphan, "the runner made no cgroup beside its session")
            // Wait for the command to be in it, then kill the runner.
            for _ in 0..<100 where pidList(fs.read(Self.mount + "/" + name + "/cgroup.procs")).isEmpty {
                try await Task.sleep(for: .milliseconds(100))
            }
            runner.kill()
            for _ in 0..<100 where !pidList(fs.read(Self.mount + "/" + name + "/cgroup.procs")).isEmpty {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(
                pidList(fs.read(Self.mount + "/" + name + "/cgroup.procs")).isEmpty, "the command outlived its runner")
            #expect(fs.exists(Self.mount + "/" + name), "the orphaned cgroup is there")
            let next = try runInferLab(["exec", "--cpu-quota", "0.5", "--", "true"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("removed what process \(runner.pid) left: 1 cgroup"), "\(next.stderr)")
            #expect(!fs.exists(Self.mount + "/" + name))
        }
    }

    /// `inferlab probe` on a throttled process reads its v2 cgroup: quota, throttling and the
    /// cgroup's own pressure.
    @Test func theProbeReadsTheCgroupsOwnPressure() async throws {
        try await inSession("guest-session-e") { _, _ in
            let cgroup = try Cgroups.create()
            defer { cgroup.removeQuietly() }
            #expect(cgroup.setCPUQuota(cores: 0.1).applied)
            let spinner = try ProbeChildProcess("/bin/sh", ["-c", "while :; do :; done"])
            defer { spinner.kill() }
            try cgroup.add(pid: spinner.pid)
            let probe = try runInferLab(
                [
                    "probe", "--pid", "\(spinner.pid)", "--interval", "200ms", "--duration", "2s", "--json",
                    "--no-threads",
                ])
            #expect(probe.status == 0, "\(probe.stderr)")
            let last = try #require(probe.stdout.split(separator: "\n").last)
            let sample = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            #expect((sample["cg_cpu_quota_cores"] as? Double).map { abs($0 - 0.1) < 1e-9 } == true, "\(sample)")
            #expect(((sample["cg_nr_throttled"] as? Int) ?? 0) > 3, "\(sample)")
            #expect(((sample["cg_psi_cpu_some_total_us"] as? Int) ?? 0) > 100_000, "\(sample)")
            #expect(sample["cg_psi_memory_some_total_us"] != nil && sample["cg_psi_io_some_total_us"] != nil)
        }
    }
}
