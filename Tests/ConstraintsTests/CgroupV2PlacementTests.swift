import Foundation
import SystemProbe
import Testing

@testable import Constraints

/// Where the v2 backend puts the engine's cgroup under the rules a real kernel enforces, on an
/// in-memory tree that enforces them too (the guest's `RealCgroupV2Tests` run the same cases on a
/// real v2 kernel).
@Suite struct CgroupV2PlacementTests {
    let mount = "/sys/fs/cgroup"
    let all = "cpuset cpu io memory pids"

    /// A tree with the root offering every controller and enabling `rootEnabled`, plus `cgroups`
    /// (path -> member pids, parents first), each offered what its parent enables; one without
    /// members enables what it is offered, as systemd's slices do, unless `enableDown` is false.
    func tree(
        rootEnabled: String = "cpuset cpu memory pids", enableDown: Bool = true, _ cgroups: [(String, [Int32])]
    ) -> InMemoryCgroupFileSystem {
        let fs = InMemoryCgroupFileSystem(version: 2)
        fs.seed(
            mount, ["cgroup.controllers": all + "\n", "cgroup.subtree_control": rootEnabled + "\n", "cgroup.procs": ""])
        for (path, members) in cgroups {
            try! fs.makeDirectory(mount + path)
            fs.seed(mount + path, ["cgroup.procs": members.map { "\($0)\n" }.joined()])
            if members.isEmpty && enableDown {
                fs.seed(mount + path, ["cgroup.subtree_control": fs.read(mount + path + "/cgroup.controllers") ?? ""])
            }
        }
        return fs
    }

    func location(_ path: String) -> CgroupLocation {
        CgroupLocation.parse(
            procCgroup: "0::\(path)\n", mountinfo: "31 23 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    }

    func words(_ fs: InMemoryCgroupFileSystem, _ path: String) -> Set<String> {
        Set((fs.read(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    @Test func inTheRootCgroupTheChildGoesBeneathIt() throws {
        let fs = tree(rootEnabled: "", [])
        fs.seed(mount, ["cgroup.procs": "1\n700\n"])
        let cgroup = try CgroupV2Controller.create(name: "t", location: location("/"), fs: fs, pid: 700, uid: 0)
        #expect(cgroup.directory == mount + "/t")
        #expect(cgroup.path == "/t")
        #expect(cgroup.runnerLeaf == nil)
        #expect(words(fs, mount + "/cgroup.subtree_control").isSuperset(of: ["cpu", "memory", "cpuset"]))
        #expect(cgroup.setCPUQuota(cores: 0.5).applied)
        try cgroup.remove()
    }

    /// A login shell's session as root: the session holds the shell, so the child goes beside it.
    @Test func aSharedCgroupGetsASiblingWhenTheParentIsWritable() throws {
        let fs = tree([("/user.slice", []), ("/user.slice/session-2.scope", [812, 700])])
        let cgroup = try CgroupV2Controller.create(
            name: "t", location: location("/user.slice/session-2.scope"), fs: fs, pid: 700, uid: 0)
        #expect(cgroup.directory == mount + "/user.slice/t")
        #expect(cgroup.home == mount + "/user.slice/session-2.scope")
        #expect(words(fs, mount + "/user.slice/cgroup.subtree_control").isSuperset(of: ["cpu", "memory"]))
        #expect(cgroup.setCPUQuota(cores: 0.2).applied)
        try cgroup.add(pid: 901)
        try cgroup.remove()
        // A member still there went back to the session, the only cgroup sure to accept it.
        #expect(fs.read(mount + "/user.slice/session-2.scope/cgroup.procs")?.contains("901") == true)
    }

    /// `systemd-run --user --scope -p Delegate=yes inferlab ...`: alone in a cgroup delegated to
    /// uid 1000, the process moves itself into a leaf and the child goes beside it, inside the
    /// delegated cgroup; every step is the user's own.
    @Test func aloneInADelegatedCgroupTheProcessMovesIntoALeaf() throws {
        let fs = tree([("/user.slice", []), ("/user.slice/run-1.scope", [700])])
        let own = mount + "/user.slice/run-1.scope"
        fs.delegate(own, to: 1000)
        fs.actingUID = 1000
        let cgroup = try CgroupV2Controller.create(
            name: "inferlab-700-1", location: location("/user.slice/run-1.scope"), fs: fs, pid: 700, uid: 1000)
        let leaf = try #require(cgroup.runnerLeaf)
        #expect(leaf.hasPrefix(own + "/inferlab-runner-700-"))
        #expect(Cgroups.creator(ofName: (leaf as NSString).lastPathComponent) == 700)
        #expect(fs.read(leaf + "/cgroup.procs") == "700\n")
        #expect(fs.read(own + "/cgroup.procs") == "")
        #expect(cgroup.directory == own + "/inferlab-700-1")
        #expect(words(fs, own + "/cgroup.subtree_control").isSuperset(of: ["cpu", "memory", "cpuset"]))
        #expect(cgroup.setCPUQuota(cores: 0.5).applied)
        #expect(cgroup.setMemoryMax(bytes: 256 << 20).applied)
        // A child of the runner joins the engine's cgroup: the common ancestor is the user's.
        fs.seed(leaf, ["cgroup.procs": "700\n701\n"])
        try cgroup.add(pid: 701)
        #expect(cgroup.members() == [701])

        // A second cgroup of the same process: no second leaf, the same parent.
        let second = try CgroupV2Controller.create(
            name: "inferlab-700-2", location: location(String(leaf.dropFirst(mount.count))), fs: fs, pid: 700,
            uid: 1000)
        #expect(second.runnerLeaf == nil)
        #expect(second.directory == own + "/inferlab-700-2")
        try second.remove()
        try cgroup.remove()
        #expect(fs.read(leaf + "/cgroup.procs") == "700\n701\n")
    }

    /// The case: an unprivileged user in a login session, nothing delegated.
    @Test func anUndelegatedSessionSaysWhichStepFailedAndTheWayOut() throws {
        let fs = tree([
            ("/user.slice", []), ("/user.slice/user-1000.slice", []),
            ("/user.slice/user-1000.slice/session-2.scope", [812, 700]),
        ])
        fs.actingUID = 1000
        let error = try #require(throws: ConstraintError.self) {
            try CgroupV2Controller.create(
                name: "t", location: location("/user.slice/user-1000.slice/session-2.scope"), fs: fs, pid: 700,
                uid: 1000)
        }
        #expect(error.code == .noCgroups)
        #expect(
            error.message.contains(
                "/user.slice/user-1000.slice/session-2.scope holds other processes (pid 812), so it cannot enable "
                    + "controllers for a child (cgroup v2's no-internal-processes rule)"), "\(error.message)")
        #expect(
            error.message.contains(
                "cannot create a cgroup in /user.slice/user-1000.slice: not delegated to uid 1000; run under "
                    + "systemd-run --user --scope -p Delegate=yes, or as root"), "\(error.message)")
        #expect(fs.children(of: mount + "/user.slice/user-1000.slice") == ["session-2.scope"])
    }

    /// Delegated, but the parent never enabled the controllers for it and is not the user's.
    @Test func aControllerNotEnabledAboveNamesTheFileThatIsNotWritable() throws {
        let fs = tree(rootEnabled: "", [("/delegated", []), ("/delegated/user", [700, 701])])
        fs.delegate(mount + "/delegated/user", to: 1000)
        fs.delegate(mount + "/delegated", to: 0)
        fs.actingUID = 1000
        let error = try #require(throws: ConstraintError.self) {
            try CgroupV2Controller.create(name: "t", location: location("/delegated/user"), fs: fs, pid: 700, uid: 1000)
        }
        #expect(
            error.message.contains(
                "cannot enable cpu for the children of /: cgroup.subtree_control of / is not writable: not delegated "
                    + "to uid 1000"), "\(error.message)")
    }

    /// As root, controllers are enabled from the first ancestor offering them down to the parent.
    @Test func controllersAreEnabledDownThePath() throws {
        let fs = tree(rootEnabled: "", enableDown: false, [("/a", []), ("/a/b", []), ("/a/b/session", [812, 700])])
        let cgroup = try CgroupV2Controller.create(
            name: "t", location: location("/a/b/session"), fs: fs, pid: 700, uid: 0)
        #expect(cgroup.directory == mount + "/a/b/t")
        let cpuWrites = fs.writes.filter { $0.hasSuffix("cgroup.subtree_control=+cpu") }
        #expect(
            cpuWrites == [
                mount + "/cgroup.subtree_control=+cpu", mount + "/a/cgroup.subtree_control=+cpu",
                mount + "/a/b/cgroup.subtree_control=+cpu",
            ])
        #expect(cgroup.setCPUQuota(cores: 1).applied)
        #expect(cgroup.unavailable.isEmpty)
    }

    /// A parent that itself holds processes cannot enable controllers: the message says so.
    @Test func aParentWithProcessesIsExplained() throws {
        let fs = tree(rootEnabled: "cpu memory", enableDown: false, [("/x", []), ("/x/y", [812, 700])])
        fs.seed(mount + "/x", ["cgroup.procs": "555\n"])
        let error = try #require(throws: ConstraintError.self) {
            try CgroupV2Controller.create(name: "t", location: location("/x/y"), fs: fs, pid: 700, uid: 0)
        }
        #expect(
            error.message.contains(
                "cannot enable cpu for the children of /x: /x holds processes (pid 555), and a cgroup with processes "
                    + "cannot enable controllers for its children"), "\(error.message)")
    }

    @Test func v2IsPreferredWhenOnlyTheRootOffersTheControllers() {
        let fs = tree(rootEnabled: "", [("/session", [812])])
        #expect(words(fs, mount + "/session/cgroup.controllers").isEmpty)
        #expect(Cgroups.preferredVersion(location: location("/session"), fs: fs) == .v2)
    }

    /// The leftover finder looks beside the invoking cgroup too, where siblings and leaves go.
    @Test func leftoversBesideTheOwnCgroupAreFound() throws {
        let fs = tree([("/user.slice", []), ("/user.slice/session", [812])])
        try fs.makeDirectory(mount + "/user.slice/inferlab-999999-ab")
        let finder = LeftoverFinder(
            leaseDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("no-leases-\(getpid())"),
            cgroupParents: [
                mount + "/user.slice/session", CgroupV2Placement.parent(of: mount + "/user.slice/session"),
            ],
            fs: fs)
        let found = finder.find()
        #expect(found.map(\.owner) == [999999])
        #expect(finder.remove(found).failures.isEmpty)
        #expect(!fs.exists(mount + "/user.slice/inferlab-999999-ab"))
    }
}
