import Testing
@testable import SystemProbe

@Suite struct CgroupParserTests {
    func files(_ directory: String, _ names: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in names { result[name] = try fixture("\(directory)/\(name)") }
        return result
    }

    @Test func v2FromKernelDocumentedFiles() throws {
        let names = CgroupStats.fileNames(for: .v2)
        let s = CgroupStats.parse(version: .v2, path: "/x", files: try files("v2", names))
        #expect(s.version == .v2)
        #expect(s.usageMicroseconds == 8_412_345)
        #expect(s.nrPeriods == 1200)
        #expect(s.nrThrottled == 310)
        #expect(s.throttledMicroseconds == 2_456_789)
        #expect(s.cpuQuotaCores == 0.5)
        #expect(s.cpuPeriodMicroseconds == 100_000)
        #expect(s.memoryCurrentBytes == 157_286_400)
        #expect(s.memoryMaxBytes == 209_715_200)
        #expect(s.memoryHighBytes == nil)
        #expect(s.memoryPeakBytes == 210_763_776)
        #expect(s.eventsMax == 1873)
        #expect(s.eventsOOM == 2)
        #expect(s.oomKill == 1)
        #expect(s.anonBytes == 104_857_600)
        #expect(s.fileBytes == 52_428_800)
        #expect(s.fileMappedBytes == 50_331_648)
        #expect(s.pgmajfault == 5342)
        #expect(s.workingsetRefaultFile == 4821)
        #expect(s.pgscanDirect == 52311)
        #expect(s.failcnt == nil)
        #expect(s.cpuPressure?.some?.totalMicroseconds == 3_456_789)
        #expect(s.memoryPressure?.full?.avg10 == 25)
        #expect(s.ioPressure?.some?.totalMicroseconds == 123_456)
        #expect(s.io?.count == 2)
        #expect(
            s.io?.last
                == CgroupIOStat(
                    device: "8:0", readBytes: 90_430_464, writeBytes: 299_008_000, readIOs: 8950, writeIOs: 1252))
    }

    @Test func v2MissingKeysAndUnlimited() throws {
        // The real unified root here: cpu controller off, so only the usage keys.
        let real = CgroupStats.parse(
            version: .v2, path: "/", files: ["cpu.stat": try fixture("v2/cpu.stat.unified-real")])
        #expect(real.usageMicroseconds == 900_674_524)
        #expect(real.nrThrottled == nil)
        #expect(real.memoryMaxBytes == nil)
        let unlimited = CgroupStats.parse(
            version: .v2, path: "/", files: ["cpu.max": "max 100000\n", "memory.max": "max\n", "memory.high": "max\n"])
        #expect(unlimited.cpuQuotaCores == nil)
        #expect(unlimited.cpuPeriodMicroseconds == 100_000)
        #expect(unlimited.memoryMaxBytes == nil)
        let partial = CgroupStats.parse(
            version: .v2, path: "/", files: ["cpu.stat": try fixture("v2/cpu.stat.missing-keys")])
        #expect(partial.userMicroseconds == 60)
        #expect(partial.throttledMicroseconds == nil)
    }

    @Test func v1FromThisMachine() throws {
        var texts = try files("v1/cpu", ["cpu.stat", "cpu.cfs_quota_us", "cpu.cfs_period_us"])
        texts.merge(
            try files(
                "v1/memory",
                [
                    "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt",
                    "memory.oom_control", "memory.stat",
                ]), uniquingKeysWith: { a, _ in a })
        texts["cpuacct.usage"] = "123456789\n"
        let s = CgroupStats.parse(version: .v1, path: "/", files: texts)
        #expect(s.version == .v1)
        #expect(s.usageMicroseconds == 123_456)
        #expect(s.nrPeriods == 0)
        #expect(s.throttledMicroseconds == 0)
        #expect(s.cpuQuotaCores == nil)  // cfs_quota_us -1
        #expect(s.cpuPeriodMicroseconds == 100_000)
        #expect(s.memoryMaxBytes == nil)  // 9223372036854771712 is unlimited
        #expect(s.memoryCurrentBytes != nil)
        #expect(s.oomKill == 0)
        #expect(s.failcnt == 0)
        #expect(s.anonBytes == 9_326_592)
        #expect(s.fileBytes == 589_824)
        #expect(s.fileMappedBytes == 32768)
        #expect(s.pgmajfault == 6)
        #expect(s.workingsetRefaultFile == 107)
        #expect(s.pgscanDirect == nil)
        #expect(s.eventsMax == nil)
    }

    @Test func v1ThrottledTimeIsConvertedFromNanoseconds() {
        let s = CgroupStats.parse(
            version: .v1, path: "/x",
            files: [
                "cpu.stat": "nr_periods 50\nnr_throttled 40\nthrottled_time 3000000000\nnew_key 1\n",
                "cpu.cfs_quota_us": "20000\n", "cpu.cfs_period_us": "100000\n", "memory.limit_in_bytes": "209715200\n",
                "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
            ])
        #expect(s.throttledMicroseconds == 3_000_000)
        #expect(s.nrThrottled == 40)
        #expect(s.cpuQuotaCores == 0.2)
        #expect(s.memoryMaxBytes == 209_715_200)
        #expect(s.oomKill == 1)
    }

    @Test func locationOnThisMachineV1() throws {
        let location = CgroupLocation.parse(
            procCgroup: try fixture("proc/cgroup_v1"), mountinfo: try fixture("proc/mountinfo_v1"))
        #expect(location.v1Directories["cpu"] == "/sys/fs/cgroup/cpu")
        #expect(location.v1Directories["memory"]?.hasPrefix("/sys/fs/cgroup/memory/process_api/") == true)
        #expect(location.v1Paths["cpuset"] == "/")
        #expect(location.v2Mount == "/sys/fs/cgroup/unified")
        #expect(location.v2Directory == "/sys/fs/cgroup/unified")
        let target = CgroupTarget.v1(location: location, path: "/inferlab-1")
        #expect(target.directories.contains("/sys/fs/cgroup/cpu/inferlab-1"))
        #expect(target.directories.contains("/sys/fs/cgroup/memory/inferlab-1"))
    }

    @Test func locationOnAPureV2System() throws {
        let location = CgroupLocation.parse(
            procCgroup: try fixture("proc/cgroup_v2"), mountinfo: try fixture("proc/mountinfo_v2"))
        #expect(location.v1Directories.isEmpty)
        #expect(location.v2Path == "/user.slice/inferlab")
        #expect(location.v2Directory == "/sys/fs/cgroup/user.slice/inferlab")
    }

    @Test func locationInsideAContainerStripsTheMountRoot() {
        let location = CgroupLocation.parse(
            procCgroup: "0::/docker/abc/app\n",
            mountinfo: "31 23 0:28 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
        #expect(location.v2Path == "/app")
        #expect(location.v2Directory == "/sys/fs/cgroup/app")
    }
}
