import Foundation
import Synchronization
import SystemProbe
import Testing
import TestSupport
@testable import Constraints

/// A process table in memory: pid -> start time; SIGKILL ends a process.
final class FakeProcessTable: ProcessTable {
    private let running: Mutex<[Int32: UInt64]>
    private let signalled = Mutex<[Int32]>([])
    let bootID: String

    init(_ running: [Int32: UInt64], bootID: String = "boot-a") {
        self.running = Mutex(running)
        self.bootID = bootID
    }

    func identity(of pid: Int32) -> ProcessIdentity? {
        running.withLock { $0[pid] }.map { ProcessIdentity(pid: pid, startTimeTicks: $0) }
    }

    func signal(_ pid: Int32, _ signal: Int32) -> Bool {
        signalled.withLock { $0.append(pid) }
        return running.withLock { table in
            guard table[pid] != nil else { return false }
            if signal == SIGKILL { table[pid] = nil }
            return true
        }
    }

    /// The pids signalled, in order.
    var killed: [Int32] { signalled.withLock { $0 } }

    func exit(_ pid: Int32) { _ = running.withLock { $0.removeValue(forKey: pid) } }
}

/// The leftover finder and the lease over a fake cgroup v1 tree and a fake process table.
@Suite struct LeftoverFinderTests {
    static let memory = "/sys/fs/cgroup/memory/process_api/abc"
    static let cpu = "/sys/fs/cgroup/cpu"

    /// cpu at the root and memory at /process_api/abc, as on this machine.
    func tree() -> InMemoryCgroupFileSystem {
        let fs = InMemoryCgroupFileSystem(version: 1)
        fs.seed(Self.cpu, ["cgroup.procs": "1\n"])
        fs.seed("/sys/fs/cgroup/memory", ["cgroup.procs": ""])
        fs.seed("/sys/fs/cgroup/memory/process_api", ["cgroup.procs": ""])
        fs.seed(Self.memory, ["cgroup.procs": "100\n"])
        fs.seed("/sys/fs/cgroup/memory/process_api/other", ["cgroup.procs": ""])
        return fs
    }

    func writeLease(_ lease: LeaseRecord, in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent("run-\(lease.owner.pid).json")
        try JSONEncoder().encode(lease).write(to: file)
        return file
    }

    @Test func findsADeadRunsEngineAndCgroupsButNothingOfTheLivingOrOfAReusedPid() throws {
        let leases = TestPaths.temporaryDirectory("leases")
        defer { try? FileManager.default.removeItem(at: leases) }
        let fs = tree()
        let trial = "inferlab-trial-4000-1a2b"
        // Run 4000 died mid-trial: its engine 4010 and the engine's child 4011 still run in the
        // trial cgroup; the memory half of the cgroup is beneath another session's cgroup, so
        // only the lease knows it.
        fs.seed(Self.cpu + "/" + trial, ["cgroup.procs": "4010\n4011\n"])
        fs.seed("/sys/fs/cgroup/memory/process_api/other/" + trial, ["cgroup.procs": "4010\n4011\n"])
        let dead = try writeLease(
            LeaseRecord(
                owner: ProcessIdentity(pid: 4000, startTimeTicks: 10), bootID: "boot-a", command: ["inferlab", "run"],
                resources: [
                    .cgroup(directory: Self.cpu + "/" + trial),
                    .cgroup(directory: "/sys/fs/cgroup/memory/process_api/other/" + trial),
                    .process(identity: ProcessIdentity(pid: 4010, startTimeTicks: 40), role: "engine"),
                ]), in: leases)
        // Process 5000 (an `inferlab exec`, say) died without a lease: found by its cgroup's name.
        fs.seed(Self.cpu + "/inferlab-5000-ff", ["cgroup.procs": ""])
        // Run 6000 is alive: neither its lease nor its cgroup is touched.
        fs.seed(Self.cpu + "/inferlab-trial-6000-aa", ["cgroup.procs": "6010\n"])
        let alive = try writeLease(
            LeaseRecord(
                owner: ProcessIdentity(pid: 6000, startTimeTicks: 60), bootID: "boot-a", command: [],
                resources: [.cgroup(directory: Self.cpu + "/inferlab-trial-6000-aa")]), in: leases)
        // Run 7000 died long ago: pid 7010 belongs to another process now, and its lease names paths
        // InferLab never makes; only the lease file goes.
        fs.seed(Self.cpu + "/system.slice", ["cgroup.procs": "7010\n"])
        let stale = try writeLease(
            LeaseRecord(
                owner: ProcessIdentity(pid: 7000, startTimeTicks: 70), bootID: "boot-a", command: [],
                resources: [
                    .process(identity: ProcessIdentity(pid: 7010, startTimeTicks: 71), role: "engine"),
                    .cgroup(directory: Self.cpu + "/system.slice"),
                    .cgroup(directory: "/etc/inferlab-trial-7000-ab"),
                ]), in: leases)
        // A lease of an earlier boot: its start times mean nothing now, even where they match.
        let earlierBoot = try writeLease(
            LeaseRecord(
                owner: ProcessIdentity(pid: 8000, startTimeTicks: 80), bootID: "boot-0", command: [],
                resources: [.process(identity: ProcessIdentity(pid: 8010, startTimeTicks: 81), role: "engine")]),
            in: leases)
        fs.seed(Self.cpu + "/inferlab-trial-notapid-12", ["cgroup.procs": ""])
        let processes = FakeProcessTable([4010: 40, 4011: 41, 6000: 60, 6010: 61, 7010: 900, 8000: 80, 8010: 81])
        let finder = LeftoverFinder(
            leaseDirectory: leases, cgroupParents: [Self.cpu, Self.memory], fs: fs, processes: processes,
            killTimeoutSeconds: 0.1)

        let found = finder.find()
        #expect(found.map(\.owner) == [4000, 5000, 7000, 8000])
        #expect(
            found.first
                == Leftover(
                    owner: 4000, leased: true,
                    resources: [
                        .process(identity: ProcessIdentity(pid: 4010, startTimeTicks: 40), role: "engine"),
                        .process(identity: ProcessIdentity(pid: 4011, startTimeTicks: 41), role: nil),
                        .cgroup(directory: Self.cpu + "/" + trial),
                        .cgroup(directory: "/sys/fs/cgroup/memory/process_api/other/" + trial),
                    ], leaseFile: dead))
        #expect(
            found[1]
                == Leftover(owner: 5000, leased: false, resources: [.cgroup(directory: Self.cpu + "/inferlab-5000-ff")])
        )
        #expect(found[2].resources.isEmpty && found[2].leaseFile == stale)
        #expect(found[3].resources.isEmpty && found[3].leaseFile == earlierBoot)

        let removal = finder.remove(found)
        #expect(removal.failures.isEmpty)
        #expect(processes.killed == [4010, 4011])
        #expect(
            removal.summary
                == "removed what run 4000 left: engine pid 4010, pid 4011, 1 cgroup (2 directories); "
                + "what process 5000 left: 1 cgroup")
        for directory in [Self.cpu + "/" + trial, Self.cpu + "/inferlab-5000-ff"] { #expect(!fs.exists(directory)) }
        #expect(fs.exists(Self.cpu + "/inferlab-trial-6000-aa"))
        #expect(fs.exists(Self.cpu + "/system.slice"))
        for file in [dead, stale, earlierBoot] { #expect(!FileManager.default.fileExists(atPath: file.path)) }
        #expect(FileManager.default.fileExists(atPath: alive.path))
        // Nothing is left for the next run, which says nothing.
        #expect(finder.reclaim().summary == nil)
    }

    @Test func aProcessThatWillNotDieIsReportedAndItsLeaseKept() throws {
        let leases = TestPaths.temporaryDirectory("leases")
        defer { try? FileManager.default.removeItem(at: leases) }
        let fs = tree()
        let file = try writeLease(
            LeaseRecord(
                owner: ProcessIdentity(pid: 4000, startTimeTicks: 10), bootID: "boot-a", command: [],
                resources: [.process(identity: ProcessIdentity(pid: 4010, startTimeTicks: 40), role: "engine")]),
            in: leases)
        /// A table where SIGKILL is delivered but the process stays (uninterruptible sleep).
        final class Stubborn: ProcessTable {
            let bootID = "boot-a"
            func identity(of pid: Int32) -> ProcessIdentity? {
                pid == 4010 ? ProcessIdentity(pid: 4010, startTimeTicks: 40) : nil
            }
            func signal(_ pid: Int32, _ signal: Int32) -> Bool { true }
        }
        let finder = LeftoverFinder(
            leaseDirectory: leases, cgroupParents: [Self.cpu], fs: fs, processes: Stubborn(), killTimeoutSeconds: 0.1)
        let removal = finder.reclaim()
        #expect(removal.failures == ["pid 4010 still runs 0.1 s after SIGKILL"])
        #expect(removal.summary?.hasSuffix("could not remove: pid 4010 still runs 0.1 s after SIGKILL") == true)
        #expect(FileManager.default.fileExists(atPath: file.path), "kept for the next run to try again")
    }

    @Test func theLeaseRecordsAsThingsAreCreatedDropsWhatIsGoneAndEndsWithNoFile() throws {
        let directory = TestPaths.temporaryDirectory("leases")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fs = tree()
        let processes = FakeProcessTable([getpid(): 1234, 4010: 40, 4020: 50])
        let lease = RunLease(directory: directory, processes: processes, fs: fs)
        let engine = LeasedResource.process(identity: ProcessIdentity(pid: 4010, startTimeTicks: 40), role: "engine")
        lease.record([engine])
        #expect(!FileManager.default.fileExists(atPath: lease.file.path), "no lease outside begin()...end()")

        try lease.begin()
        try lease.begin()  // a second runner in the same process shares the file
        let cgroup = try Cgroups.create(
            name: Cgroups.uniqueName(prefix: "inferlab-trial"),
            location: CgroupLocation.parse(
                procCgroup: "4:memory:/process_api/abc\n1:cpu:/\n",
                mountinfo: """
                    30 25 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
                    33 25 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
                    """), fs: fs)
        lease.record(cgroup)
        lease.record([engine])
        let written = try JSONDecoder().decode(LeaseRecord.self, from: Data(contentsOf: lease.file))
        #expect(written.owner == ProcessIdentity(pid: getpid(), startTimeTicks: 1234))
        #expect(written.bootID == "boot-a")
        #expect(written.resources == cgroup.directoryPaths.map { .cgroup(directory: $0) } + [engine])
        #expect(cgroup.directoryPaths.count == 2)

        // The trial ends (engine stopped, cgroup removed); the next trial's engine replaces them.
        processes.exit(4010)
        try cgroup.remove()
        let next = LeasedResource.process(identity: ProcessIdentity(pid: 4020, startTimeTicks: 50), role: "engine")
        lease.record([next])
        #expect(try JSONDecoder().decode(LeaseRecord.self, from: Data(contentsOf: lease.file)).resources == [next])

        // If this process died now, the next run would find its engine through the lease.
        let finder = LeftoverFinder(
            leaseDirectory: directory, cgroupParents: [], fs: fs,
            processes: FakeProcessTable([4020: 50], bootID: "boot-a"))
        #expect(finder.find() == [Leftover(owner: getpid(), leased: true, resources: [next], leaseFile: lease.file)])

        lease.end()
        #expect(FileManager.default.fileExists(atPath: lease.file.path), "one holder is left")
        lease.end()
        #expect(!FileManager.default.fileExists(atPath: lease.file.path))
        #expect(lease.resources.isEmpty)
    }

    @Test(arguments: [
        ("inferlab-4242-1f3a", Int32(4242)), ("inferlab-trial-4242-ffffffff", 4242), ("inferlab-1-0", 1),
        ("inferlab-trial-x-1f3a", nil), ("inferlab-4242-xyz", nil), ("inferlab-4242-123456789", nil),
        ("other-4242-1f3a", nil), ("inferlab-+42-1f", nil), ("inferlab-0-1f", nil), ("inferlab", nil),
    ])
    func theCreatorIsReadFromTheNameUniqueNameMakes(name: String, pid: Int32?) {
        #expect(Cgroups.creator(ofName: name) == pid)
    }

    @Test func uniqueNamesCarryThisProcess() {
        #expect(Cgroups.creator(ofName: Cgroups.uniqueName()) == getpid())
        #expect(Cgroups.creator(ofName: Cgroups.uniqueName(prefix: "inferlab-trial")) == getpid())
    }
}
