import Foundation
import Testing
import TestSupport

@testable import SystemSetup

@Suite struct SystemShowFixtureTests {
    @Test func intelPstateHost() throws {
        let info = SystemShow.read(root: SystemFixtures.path("intel-pstate-host"))
        #expect(info.kernel.release == Sourced("5.15.0-91-generic", source: "/proc/sys/kernel/osrelease"))
        #expect(info.kernel.distribution.value == "Ubuntu 22.04.3 LTS")
        #expect(info.cpu.model.value == "Intel(R) Core(TM) i7-10750H CPU @ 2.60GHz")
        #expect(info.cpu.logicalCPUs.value == 8)
        #expect(info.cpu.sockets.value == 1)
        #expect(info.cpu.cores.value == 4)
        #expect(info.cpu.threadsPerCore.value == 2)
        #expect(info.cpu.numaNodes.value == 1)
        #expect(info.virtualization.hypervisorFlag.value == false)
        #expect(info.virtualization.dmiVendor.value == "Dell Inc.")
        #expect(info.virtualization.containerHints.value == [])
        #expect(info.frequency.driver.value == "intel_pstate")
        let governors = try #require(info.frequency.governors.value)
        #expect(governors.count == 8)
        #expect(governors.allSatisfy { $0.governor == "powersave" })
        #expect(info.frequency.boost == Sourced(true, source: SystemShow.Path.intelNoTurbo, note: "no_turbo inverted"))
        #expect(info.memory.swappiness.value == 60)
        #expect(info.memory.transparentHugepages.value == "madvise")
        #expect(info.memory.swapDevices.value?.map(\.path) == ["/dev/nvme0n1p3"])
        #expect(info.memory.pageCacheBytes.value == 6_400_000 * 1024)
        #expect(info.memlock.soft.value == .bytes(65536))
        #expect(info.memlock.capIPCLock.value == false)
        #expect(info.cgroup.version.value == "hybrid")
        #expect(info.cgroup.v2Mount.value == "/sys/fs/cgroup/unified")
        #expect(info.cgroup.v2Controllers.value == [])
        #expect(info.cgroup.v1Controllers.value == ["cpu", "cpuacct", "cpuset", "memory", "pids"])
        #expect(info.cgroup.ownPaths.value?.count == 6)
        #expect(info.psi.value == [])
        #expect(info.perfEventParanoid.value == 4)
        #expect(info.clocksource.value == "tsc")
        #expect(info.availableClocksources.value == ["tsc", "hpet", "acpi_pm"])
    }

    @Test func cgroup2OnlyHost() throws {
        let info = SystemShow.read(root: SystemFixtures.path("cgroup2-host"))
        #expect(info.kernel.distribution.value == "Fedora Linux 39 (Server Edition)")
        #expect(info.cpu.sockets.value == 2)
        #expect(info.cpu.cores.value == 8)
        #expect(info.cpu.threadsPerCore.value == 1)
        #expect(info.cpu.numaNodes.value == 2)
        #expect(info.virtualization.containerHints.value == ["/proc/1/environ container=podman"])
        #expect(info.frequency.driver.value == "acpi-cpufreq")
        #expect(info.frequency.governors.value?.map(\.governor) == Array(repeating: "schedutil", count: 8))
        #expect(info.frequency.boost == Sourced(true, source: SystemShow.Path.cpufreqBoost))
        #expect(info.memory.transparentHugepages.value == "always")
        #expect(info.memory.swapDevices.value == [])
        #expect(info.memlock.soft.value == .unlimited)
        #expect(info.memlock.capIPCLock.value == true)
        #expect(info.cgroup.version.value == "v2")
        #expect(info.cgroup.v2Mount.value == "/sys/fs/cgroup")
        #expect(
            info.cgroup.v2Controllers
                == Sourced(
                    ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"],
                    source: "/sys/fs/cgroup/cgroup.controllers"))
        #expect(info.cgroup.v1Controllers.value == [])
        #expect(
            info.cgroup.ownPaths.value == [
                CgroupMembership(hierarchy: 0, controllers: [], path: "/system.slice/inferlab.service")
            ])
        #expect(info.psi.value == ["cpu", "memory", "io"])
    }

    /// This VM captured as a fixture: no cpufreq, hybrid cgroups with an empty cgroup2, hypervisor flag set.
    @Test func capturedVM() {
        let info = SystemShow.read(root: SystemFixtures.path("this-vm"))
        #expect(info.cpu.logicalCPUs.value == 2)
        #expect(info.cpu.threadsPerCore.value == 1)
        #expect(info.virtualization.hypervisorFlag.value == true)
        #expect(info.virtualization.dmiVendor.value == nil)
        #expect(info.virtualization.dmiVendor.note == "not exposed")
        #expect(info.virtualization.containerHints.value == ["/.dockerenv"])
        #expect(info.frequency.governors.value == nil)
        #expect(info.frequency.governors.note == "not exposed")
        #expect(info.frequency.boost.value == nil)
        #expect(info.memory.swappiness.value == 60)
        #expect(info.memory.transparentHugepages.value == "madvise")
        #expect(info.memory.swapDevices.value == [])
        #expect(info.memlock.soft.value == .bytes(8_388_608))
        #expect(info.memlock.capIPCLock.value == true)
        #expect(info.cgroup.version.value == "hybrid")
        #expect(info.cgroup.v2Controllers.value == ["hugetlb"])
        #expect(
            info.cgroup.ownPaths.value?.first { $0.controllers == ["memory"] }?.path.hasPrefix("/process_api/") == true)
        #expect(info.psi.value == ["cpu", "memory", "io"])
        #expect(info.clocksource.value == "tsc")
    }

    @Test func emptyRootReportsEverythingNotExposed() throws {
        let info = SystemShow.read(root: TestPaths.temporaryDirectory("inferlab-empty-root").path)
        #expect(info.kernel.release.value == nil && info.kernel.release.note == "not exposed")
        #expect(info.cpu.logicalCPUs.value == nil)
        #expect(info.memory.swappiness.note == "not exposed")
        #expect(info.cgroup.version.value == nil)
        #expect(info.psi.value == [])
    }

    @Test func jsonShapeIsSnakeCaseAndStable() throws {
        let info = SystemShow.read(root: SystemFixtures.path("intel-pstate-host"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(info)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "schema_version", "root", "kernel", "cpu", "virtualization", "frequency", "memory", "memlock", "cgroup",
                "psi",
                "perf_event_paranoid", "clocksource", "available_clocksources",
            ])
        let memory = try #require(object["memory"] as? [String: Any])
        let swappiness = try #require(memory["swappiness"] as? [String: Any])
        #expect(swappiness["value"] as? Int == 60)
        #expect(swappiness["source"] as? String == "/proc/sys/vm/swappiness")
        let missing = try #require((object["virtualization"] as? [String: Any])?["dmi_product"] as? [String: Any])
        #expect(missing["value"] != nil)  // encoded as null, not dropped
        #expect(try JSONDecoder().decode(SystemInfo.self, from: data) == info)
    }
}
