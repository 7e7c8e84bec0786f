import Foundation
import SystemProbe
import Testing
import TestSupport
@testable import Constraints

/// Both backends on in-memory trees (v2 cannot be exercised for real on this machine).
@Suite struct CgroupBackendTests {
    func fixture(_ path: String) throws -> String {
        try String(contentsOf: TestPaths.root.appendingPathComponent("Tests/Fixtures/probe/\(path)"), encoding: .utf8)
    }

    /// A v2 tree as a login session sees it: the root and user.slice offer and enable
    /// `controllers`; the invoking process is in user.slice/lab with pid 100 (its shell).
    func v2Tree(controllers: String = "cpuset cpu io memory pids") -> (InMemoryCgroupFileSystem, CgroupLocation) {
        let fs = InMemoryCgroupFileSystem(version: 2)
        let enabled = controllers.split(separator: " ").filter { ["cpu", "memory", "cpuset"].contains($0) }
            .joined(separator: " ")
        fs.seed("/sys/fs/cgroup", ["cgroup.controllers": controllers + "\n", "cgroup.subtree_control": enabled + "\n"])
        fs.seed(
            "/sys/fs/cgroup/user.slice",
            ["cgroup.controllers": enabled + "\n", "cgroup.subtree_control": enabled + "\n", "cgroup.procs": ""])
        fs.seed(
            "/sys/fs/cgroup/user.slice/lab",
            ["cgroup.controllers": enabled + "\n", "cgroup.subtree_control": "\n", "cgroup.procs": "100\n"])
        let location = CgroupLocation.parse(
            procCgroup: "0::/user.slice/lab\n",
            mountinfo: "31 23 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
        return (fs, location)
    }

    @Test func v2CreateLimitMoveReadRemove() throws {
        let (fs, location) = v2Tree()
        #expect(Cgroups.preferredVersion(location: location, fs: fs) == .v2)
        let cgroup = try Cgroups.create(name: "t1", location: location, fs: fs)
        #expect(cgroup.version == .v2)
        // lab holds the shell: the child goes beside it (no-internal-processes rule).
        #expect(cgroup.path == "/user.slice/t1")
        let dir = "/sys/fs/cgroup/user.slice/t1"
        #expect(fs.exists(dir))
        #expect(cgroup.setCPUQuota(cores: 0.2).applied)
        #expect(fs.read(dir + "/cpu.max") == "20000 100000\n")
        #expect(cgroup.setMemoryMax(bytes: 200 << 20).applied)
        #expect(fs.read(dir + "/memory.max") == "\(200 << 20)\n")
        #expect(cgroup.setMemoryHigh(bytes: 150 << 20).applied)
        #expect(fs.read(dir + "/memory.high") == "\(150 << 20)\n")
        #expect(cgroup.setCPUs([0, 1]).applied)
        #expect(fs.read(dir + "/cpuset.cpus") == "0-1\n")
        try cgroup.add(pid: 4242)
        #expect(cgroup.members() == [4242])
        // The kernel's counters, from the documented fixture files.
        for name in ["cpu.stat", "memory.events", "memory.stat", "memory.peak"] {
            fs.seed(dir, [name: try fixture("v2/\(name)")])
        }
        let stats = cgroup.stats()
        #expect(stats.version == .v2)
        #expect(stats.nrThrottled == 310)
        #expect(stats.cpuQuotaCores == 0.2)
        #expect(stats.memoryMaxBytes == 200 << 20)
        #expect(stats.oomKill == 1)
        try cgroup.remove()
        #expect(!fs.exists(dir))
        // The member went back to the invoking process's cgroup before rmdir.
        #expect(fs.read("/sys/fs/cgroup/user.slice/lab/cgroup.procs")?.contains("4242") == true)
        try cgroup.remove()  // idempotent
    }

    @Test func v2WithoutTheCPUControllerReportsWhy() throws {
        let (fs, location) = v2Tree(controllers: "memory pids")
        let cgroup = try Cgroups.create(name: "t2", location: location, fs: fs)
        defer { cgroup.removeQuietly() }
        let cpu = cgroup.setCPUQuota(cores: 0.5)
        #expect(!cpu.applied)
        #expect(cpu.reason.contains("cpu controller is not in /sys/fs/cgroup/cgroup.controllers"), "\(cpu.reason)")
        #expect(cgroup.setMemoryMax(bytes: 1 << 30).applied)
        #expect(!cgroup.setCPUs([0]).applied)
    }

    @Test func v2WithNoControllersFallsBackOrFails() {
        let (fs, location) = v2Tree(controllers: "hugetlb")
        #expect(Cgroups.preferredVersion(location: location, fs: fs) == nil)
        #expect(throws: ConstraintError.self) { try Cgroups.create(name: "t3", location: location, fs: fs) }
    }

    @Test func v1CreatesInEachHierarchyBeneathOwnCgroup() throws {
        let fs = InMemoryCgroupFileSystem(version: 1)
        fs.seed(
            "/sys/fs/cgroup/cpu",
            [
                "cgroup.procs": "1\n", "cpu.cfs_quota_us": "-1\n", "cpu.cfs_period_us": "100000\n",
                "cpu.stat": "nr_periods 0\n",
            ])
        fs.seed("/sys/fs/cgroup/cpuacct", ["cgroup.procs": "1\n", "cpuacct.usage": "0\n"])
        fs.seed("/sys/fs/cgroup/cpuset", ["cgroup.procs": "1\n", "cpuset.cpus": "0-1\n", "cpuset.mems": "0\n"])
        fs.seed("/sys/fs/cgroup/memory", [:])
        fs.seed("/sys/fs/cgroup/memory/process_api", [:])
        fs.seed(
            "/sys/fs/cgroup/memory/process_api/abc",
            ["cgroup.procs": "1\n", "memory.limit_in_bytes": "9223372036854771712\n"])
        let location = CgroupLocation.parse(
            procCgroup: try fixture("proc/cgroup_v1").replacingOccurrences(
                of: #"/process_api/[0-9a-f]+"#, with: "/process_api/abc", options: .regularExpression),
            mountinfo: try fixture("proc/mountinfo_v1"))
        #expect(Cgroups.preferredVersion(location: location, fs: fs) == .v1)
        let cgroup = try Cgroups.create(name: "t4", location: location, fs: fs)
        #expect(cgroup.version == .v1)
        #expect(cgroup.path == "/process_api/abc/t4")
        #expect(fs.exists("/sys/fs/cgroup/cpu/t4"))
        #expect(fs.exists("/sys/fs/cgroup/memory/process_api/abc/t4"))
        // A v1 cpuset child gets its parent's cpus and mems so it can take tasks.
        #expect(fs.read("/sys/fs/cgroup/cpuset/t4/cpuset.cpus") == "0-1\n")
        #expect(fs.read("/sys/fs/cgroup/cpuset/t4/cpuset.mems") == "0\n")
        #expect(cgroup.setCPUQuota(cores: 0.25).applied)
        #expect(fs.read("/sys/fs/cgroup/cpu/t4/cpu.cfs_quota_us") == "25000\n")
        #expect(cgroup.setMemoryMax(bytes: 300 << 20).applied)
        #expect(fs.read("/sys/fs/cgroup/memory/process_api/abc/t4/memory.limit_in_bytes") == "\(300 << 20)\n")
        let high = cgroup.setMemoryHigh(bytes: 1 << 20)
        #expect(!high.applied && high.reason.contains("no memory.high"))
        try cgroup.add(pid: 77)
        #expect(fs.read("/sys/fs/cgroup/cpuacct/t4/cgroup.procs") == "77\n")
        #expect(cgroup.stats().cpuQuotaCores == 0.25)
        try cgroup.remove()
        for dir in ["cpu", "cpuacct", "cpuset", "memory/process_api/abc"] {
            #expect(!fs.exists("/sys/fs/cgroup/\(dir)/t4"))
        }
        #expect(fs.read("/sys/fs/cgroup/memory/process_api/abc/cgroup.procs")?.contains("77") == true)
    }

    @Test func namesMustBeOneComponent() {
        let (fs, location) = v2Tree()
        #expect(throws: ConstraintError.self) { try Cgroups.create(name: "../escape", location: location, fs: fs) }
        #expect(throws: ConstraintError.self) { try Cgroups.create(name: "", location: location, fs: fs) }
    }

    @Test func execOptionsValidation() {
        #expect(throws: ConstraintError.self) { try ExecOptions(command: []).validate() }
        #expect(throws: ConstraintError.self) { try ExecOptions(command: ["true"], cpuQuotaCores: -1).validate() }
        #expect(throws: ConstraintError.self) { try ExecOptions(command: ["true"], cpuQuotaCores: .nan).validate() }
        #expect(throws: ConstraintError.self) { try ExecOptions(command: ["true"], memoryMaxBytes: 10).validate() }
        #expect(throws: ConstraintError.self) { try ExecOptions(command: ["true"], cpus: []).validate() }
        #expect(throws: Never.self) {
            try ExecOptions(command: ["true"], cpuQuotaCores: 0.5, memoryMaxBytes: 1 << 30).validate()
        }
        #expect(throws: ConstraintError.self) { try BackgroundLoadConfiguration(loadPercent: 0).validate() }
        #expect(throws: ConstraintError.self) { try BackgroundLoadConfiguration(cpuWorkers: 0).validate() }
    }
}
