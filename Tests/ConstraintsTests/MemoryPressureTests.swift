import Foundation
import SystemProbe
import Testing
import TestSupport

@testable import Constraints

/// `model_out`: the bytes to pin so a share of the model no longer fits, and the locker that
/// pins them (a child process) and squeezes a file to its share, on the real kernel.
@Suite(.serialized) struct MemoryPressureTests {
    @Test func theFormulaLeavesTheModelItsShareAboveTheReserve() {
        let mib: UInt64 = 1 << 20
        let half = MemoryPressure(
            modelOut: 0.5, modelBytes: 100 * mib, availableBytes: 10_000 * mib, watermarkBytes: 100 * mib,
            marginBytes: 64 * mib)
        #expect(half.modelRoomBytes == 50 * mib)
        #expect(half.lockBytes == (10_000 - 100 - 64 - 50) * mib)
        #expect(
            half.formula
                == "lock = MemAvailable 10000.0 MiB - high watermarks 100.0 MiB - margin 64.0 MiB - (1 - 0.5) x model "
                + "100.0 MiB = 9786.0 MiB")
        // All of it out: only the reserve is left.
        let all = MemoryPressure(
            modelOut: 1, modelBytes: 100 * mib, availableBytes: 10_000 * mib, watermarkBytes: 100 * mib,
            marginBytes: 64 * mib)
        #expect(all.lockBytes == (10_000 - 164) * mib)
        // A model in anonymous memory is not in MemAvailable: it counts as available, so the
        // locker takes its share of the model's own memory.
        let anonymous = MemoryPressure(
            modelOut: 0.5, modelBytes: 100 * mib, availableBytes: 10_000 * mib, modelHeldBytes: 100 * mib,
            watermarkBytes: 100 * mib, marginBytes: 64 * mib)
        #expect(anonymous.lockBytes == half.lockBytes + 100 * mib)
        #expect(anonymous.formula.contains("+ model held outside the cache 100.0 MiB"))
        // Less memory than the reserve: nothing to pin.
        let tight = MemoryPressure(
            modelOut: 0.5, modelBytes: 100 * mib, availableBytes: 150 * mib, watermarkBytes: 100 * mib)
        #expect(tight.lockBytes == 0)
    }

    @Test func meminfoAndZoneinfoAreRead() {
        let meminfo = "MemTotal:       24558484 kB\nMemFree:        22000000 kB\nMemAvailable:   23000000 kB\n"
        #expect(MemoryPressure.memAvailable(meminfo: meminfo) == 23_000_000 * 1024)
        #expect(MemoryPressure.memAvailable(meminfo: "MemTotal: 1 kB\n") == nil)
        let zoneinfo = """
            Node 0, zone      DMA
              pages free     3840
                    min      11
                    low      14
                    high     17
            Node 0, zone    DMA32
              pages free     100
                    min      2000
                    low      2500
                    high     3000
                    spanned  1044480
            """
        #expect(MemoryPressure.highWatermarks(zoneinfo: zoneinfo) == 3017 * 4096)
        #expect(MemoryPressure.watermarkSlack(zoneinfo: zoneinfo) == (3017 - 2011) * 4096)
        // This machine's: at least one zone, each with a high mark.
        let real = MemoryPressure.highWatermarks(zoneinfo: (try? String(contentsOfFile: "/proc/zoneinfo")) ?? "")
        #expect(real > 0)
    }

    @Test(.enabled(if: getuid() == 0, "mlock of 64 MiB needs root or a raised ulimit -l"))
    func theLockerPinsItsBytesInAChildAndLetsGoWhenStopped() async throws {
        let bytes: UInt64 = 64 << 20
        let (locker, outcome) = await MemoryLocker.start(executable: TestPaths.inferlab, bytes: bytes)
        let held = try #require(locker, "\(outcome.reason)")
        #expect(outcome.applied)
        #expect(outcome.value == "\(bytes)")
        #expect(outcome.reason.contains("pinned by pid \(held.child.pid)"), "\(outcome.reason)")
        let status = try #require(ProcFS.read("/proc/\(held.child.pid)/status").map(ProcessStatus.parse))
        #expect((status.vmLck ?? 0) >= bytes)
        #expect((status.rssAnon ?? 0) >= bytes)
        #expect(held.isHolding)
        held.stop()
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(held.child.pid)/status"))
    }

    /// The squeeze on a small scale: a file cached by a process of a memory-limited cgroup (its
    /// pages are charged there), then a locker in the same cgroup pins memory until no more than
    /// half the file is cached. The kernel's reclaim does the eviction, as it does machine-wide.
    @Test(.enabled(if: getuid() == 0, "needs root (cgroups, mlock)"))
    func theSqueezeLeavesAFileAtItsShare() async throws {
        let directory = TestPaths.temporaryDirectory("squeeze")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.bin").path
        let fileBytes = 96 << 20
        FileManager.default.createFile(atPath: file, contents: Data(repeating: 7, count: fileBytes))
        _ = PageCache.evict(path: file)
        let cgroup = try Cgroups.create(name: Cgroups.uniqueName(prefix: "inferlab-test-squeeze"))
        defer { _ = cgroup.removeQuietly() }
        #expect(cgroup.setMemoryMax(bytes: 320 << 20).applied)
        let reader = try GatedChild.spawn(["/bin/dd", "if=\(file)", "of=/dev/null", "bs=1M", "status=none"])
        try cgroup.add(pid: reader.pid)
        reader.release()
        _ = await reader.wait()
        let before = try FileResidency.residentFraction(path: file)
        #expect(before > 0.95, "the reader cached \(before) of the file")

        let (locker, outcome) = await MemoryLocker.start(
            executable: TestPaths.inferlab, bytes: 32 << 20, squeeze: (file, 0.5), watermarkSlack: false,
            place: { try cgroup.add(pid: $0) })
        let held = try #require(locker, "\(outcome.reason)")
        defer { held.stop() }
        let resident = try FileResidency.residentFraction(path: file)
        #expect(resident <= 0.5 && resident >= 0.3, "\(resident) of the file resident; \(outcome.reason)")
        #expect(outcome.reason.contains("squeezed"), "\(outcome.reason)")
        #expect((held.status?.addedBytes ?? 0) > 0)
    }
}
