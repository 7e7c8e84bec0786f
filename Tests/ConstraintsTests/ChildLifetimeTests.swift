import Foundation
import Synchronization
import SystemProbe
import Testing
import TestSupport
@testable import Constraints

/// Children die with this process, not with the thread that asked for them; what a dead run
/// left is killed and removed on the real kernel.
@Suite struct ChildLifetimeTests {
    /// A child handed from a short-lived thread to the test.
    final class Handoff: Sendable {
        let child = Mutex<GatedChild?>(nil)
    }

    @Test func aChildOutlivesTheThreadThatSpawnedIt() async throws {
        let handoff = Handoff()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // The thread ends right after the spawn. Had it forked the child itself, the child's
            // parent-death signal would fire now.
            Thread.detachNewThread {
                handoff.child.withLock { $0 = try? GatedChild.spawn(["sleep", "30"]) }
                done.resume()
            }
        }
        let child = try #require(handoff.child.withLock { $0 })
        child.release()
        try await Task.sleep(for: .milliseconds(500))
        #expect(!child.hasExited, "the child was killed when the thread that asked for it ended")
        #expect(child.identity == LinuxProcessTable().identity(of: child.pid))
        kill(child.pid, SIGKILL)
        #expect(ProcessExit.fromWaitStatus(await child.wait()).signal == SIGKILL)
    }

    @Test func aDeadRunsOrphanIsKilledAndItsCgroupRemoved() async throws {
        try #require(KernelControlTests.hasCgroups, "needs root and a cgroup cpu controller")
        // A pid that no longer runs, for the run that died.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = gone.processIdentifier
        let cgroup = try Cgroups.create(name: "inferlab-trial-\(dead)-abcd")
        defer { cgroup.removeQuietly() }
        let engine = try GatedChild.spawn(["sleep", "60"])
        try cgroup.add(pid: engine.pid)
        engine.release()
        let identity = try #require(engine.identity)
        let leases = TestPaths.temporaryDirectory("leases")
        defer { try? FileManager.default.removeItem(at: leases) }
        let lease = LeaseRecord(
            owner: ProcessIdentity(pid: dead, startTimeTicks: 1), bootID: LinuxProcessTable().bootID,
            command: ["inferlab", "run"],
            resources: cgroup.directoryPaths.map { .cgroup(directory: $0) } + [
                .process(identity: identity, role: "engine")
            ])
        try JSONEncoder().encode(lease).write(to: leases.appendingPathComponent("run-\(dead).json"))

        let removal = LeftoverFinder(leaseDirectory: leases, cgroupParents: []).reclaim()
        let directories = cgroup.directoryPaths.count
        #expect(
            removal.summary
                == "removed what run \(dead) left: engine pid \(engine.pid), 1 cgroup"
                + (directories > 1 ? " (\(directories) directories)" : ""))
        #expect(ProcessExit.fromWaitStatus(await engine.wait()).signal == SIGKILL)
        for directory in cgroup.directoryPaths { #expect(!FileManager.default.fileExists(atPath: directory)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: leases.path).isEmpty)
    }
}
