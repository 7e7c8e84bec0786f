import Foundation
import Testing

@testable import SystemSetup

@Suite struct SystemTextTests {
    @Test func bracketedChoiceFindsSelectedAndOptions() {
        let parsed = SystemText.bracketed("always defer defer+madvise [madvise] never\n")
        #expect(parsed.selected == "madvise")
        #expect(parsed.options == ["always", "defer", "defer+madvise", "madvise", "never"])
        #expect(SystemText.bracketed("always madvise never").selected == nil)
        #expect(SystemText.bracketed("never\n").selected == "never")
    }

    @Test func cpuListExpandsRanges() {
        #expect(SystemText.cpuList("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11])
        #expect(SystemText.cpuList("0") == [0])
        #expect(SystemText.cpuList("3-1") == [])
        #expect(SystemText.cpuList("x") == [])
    }

    @Test func meminfoConvertsKilobytes() {
        let fields = SystemText.meminfo("MemTotal:       24684096 kB\nHugePages_Total:       0\nCached:  2041796 kB\n")
        #expect(fields["MemTotal"] == 24_684_096 * 1024)
        #expect(fields["Cached"] == 2_041_796 * 1024)
        #expect(fields["HugePages_Total"] == 0)
    }

    @Test func swapsParsesFilesAndPartitionsSkippingHeader() {
        let text = """
            Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
            /var/tmp/my\\040swap                       file\t\t65532\t\t0\t\t-2
            /dev/sda3                               partition\t2097148\t\t1024\t\t-3
            """
        let swaps = SystemText.swaps(text)
        #expect(swaps.count == 2)
        #expect(
            swaps[0]
                == SwapDevice(
                    path: "/var/tmp/my swap", type: "file", sizeBytes: 65532 * 1024, usedBytes: 0, priority: -2))
        #expect(swaps[1].usedBytes == 1024 * 1024)
        #expect(SystemText.swaps("Filename Type Size Used Priority\n").isEmpty)
    }

    @Test func mountsAndCgroupLayout() {
        let mounts = SystemText.mounts(
            """
            /dev/sda1 /mnt/my\\040disk ext4 rw,relatime 0 0
            cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0
            cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
            """)
        #expect(mounts[0].mountPoint == "/mnt/my disk")
        let layout = CgroupLayout(mounts: mounts)
        #expect(layout.version == "hybrid")
        #expect(layout.v2Mount == "/sys/fs/cgroup/unified")
        #expect(layout.v1Controllers == ["cpu", "cpuacct"])
        #expect(CgroupLayout(mounts: Array(mounts.prefix(3))).version == "v1")
        #expect(CgroupLayout(mounts: [mounts[3]]).version == "v2")
        #expect(CgroupLayout(mounts: [mounts[0]]).version == nil)
    }

    @Test func processCgroupsKeepsColonsInPaths() {
        let lines = SystemText.processCgroups("4:memory:/process_api/abc\n1:name=systemd:/a:b\n0::/\n")
        #expect(
            lines == [
                CgroupMembership(hierarchy: 4, controllers: ["memory"], path: "/process_api/abc"),
                CgroupMembership(hierarchy: 1, controllers: ["name=systemd"], path: "/a:b"),
                CgroupMembership(hierarchy: 0, controllers: [], path: "/"),
            ])
    }

    @Test func limitsAndCapabilities() throws {
        let limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max locked memory         8388608              unlimited            bytes
            """
        let memlock = try #require(SystemText.limit("Max locked memory", in: limits))
        #expect(memlock.soft == .bytes(8_388_608))
        #expect(memlock.hard == .unlimited)
        #expect(SystemText.limit("Max open files", in: limits) == nil)
        #expect(
            SystemText.capabilityMask("CapEff", inStatus: "CapPrm:\t0\nCapEff:\t000001fffeffffff\n") == 0x1fffeffffff)
    }

    @Test func osReleaseStripsQuotes() {
        let fields = SystemText.osRelease("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n# c=1\nV='x'\n")
        #expect(fields["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)")
        #expect(fields["ID"] == "debian")
        #expect(fields["V"] == "x")
        #expect(fields["# c"] == nil)
    }

    @Test func cpuSummaryCountsSocketsCoresAndThreads() {
        var text = ""
        for cpu in 0..<8 {
            text += "processor\t: \(cpu)\nmodel name\t: Test CPU\nphysical id\t: \(cpu / 4)\n"
            text += "core id\t\t: \(cpu % 2)\nflags\t\t: fpu hypervisor\n\n"
        }
        let summary = CPUSummary(cpuinfo: text)
        #expect(summary.logicalCPUs == 8)
        #expect(summary.sockets == 2)
        #expect(summary.cores == 4)
        #expect(summary.threadsPerCore == 2)
        #expect(summary.flags.contains("hypervisor"))
        let bare = CPUSummary(cpuinfo: "processor : 0\nprocessor : 1\n")
        #expect(bare.sockets == 1 && bare.cores == 2 && bare.threadsPerCore == 1 && bare.model == nil)
    }

    @Test func memlockLimitJSONIsNumberOrUnlimited() throws {
        let encoded = try JSONEncoder().encode([MemlockLimit.unlimited, .bytes(65536)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"unlimited\",65536]")
        #expect(try JSONDecoder().decode([MemlockLimit].self, from: encoded) == [.unlimited, .bytes(65536)])
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode([MemlockLimit].self, from: Data("[\"lots\"]".utf8))
        }
        #expect(MemlockLimit.unlimited.covers(.bytes(1)))
        #expect(!MemlockLimit.bytes(1).covers(.unlimited))
    }
}
