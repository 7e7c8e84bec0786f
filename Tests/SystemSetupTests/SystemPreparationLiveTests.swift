import Foundation
import Testing
import TestSupport

@testable import SystemSetup

/// Tests that read or change this machine. Serialized so no test sees another's temporary settings; every
/// change is undone in a `defer`.
@Suite(.serialized) struct SystemPreparationLiveTests {
    static let isRoot = geteuid() == 0

    /// A profile that changes swappiness and THP away from their current values and adds a 64 MiB swap file,
    /// plus the settings this VM does not expose.
    static func liveProfile(_ before: SystemInfo) -> SystemProfile {
        var profile = SystemProfile(name: "live-test")
        profile.swappiness = before.memory.swappiness.value == 33 ? 34 : 33
        profile.transparentHugepages = before.memory.transparentHugepages.value == "never" ? "madvise" : "never"
        profile.swapFileMB = 64
        profile.swapFilePath = "/var/tmp/inferlab-test-\(UUID().uuidString.prefix(8)).swap"
        profile.governor = "performance"
        profile.boost = false
        return profile
    }

    static func stableJSON(_ info: SystemInfo) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(info.withoutVolatileFields()), as: UTF8.self)
    }

    @Test func showReadsThisMachine() throws {
        let info = SystemShow.read()
        #expect(info.root == "/")
        #expect(info.cpu.logicalCPUs.value == ProcessInfo.processInfo.processorCount)
        #expect(info.memlock.soft.value == MemlockLimit.current().soft)
        #expect(info.memlock.hard.value == MemlockLimit.current().hard)
        let swappiness = try String(contentsOfFile: "/proc/sys/vm/swappiness", encoding: .utf8)
        #expect(info.memory.swappiness.value == Int(swappiness.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(info.memory.totalBytes.value == UInt64(ProcessInfo.processInfo.physicalMemory))
        #expect(info.kernel.release.value != nil)
        #expect(info.cgroup.version.value != nil)
        #expect(info.cgroup.ownPaths.value?.isEmpty == false)
        #expect(info.clocksource.value != nil)
    }

    @Test(.enabled(if: isRoot, "changing swappiness, THP and swap needs root"))
    func roundTripLeavesTheMachineAsBefore() throws {
        let preparation = SystemPreparation(stateFile: SystemFixtures.stateFile())
        defer { _ = try? preparation.restore() }
        let before = SystemShow.read()
        let profile = Self.liveProfile(before)

        let report = try preparation.prepare(profile: profile)
        let byName = Dictionary(uniqueKeysWithValues: report.settings.map { ($0.setting, $0) })
        #expect(byName["swappiness"]?.status == .applied)
        #expect(byName["transparent_hugepages"]?.status == .applied)
        #expect(byName["swap_file"]?.status == .applied, "\(byName["swap_file"]?.reason ?? "")")
        if before.frequency.governors.value == nil {
            #expect(byName["governor"]?.status == .notAvailable)
            #expect(byName["boost"]?.status == .notAvailable)
        }

        let during = SystemShow.read()
        #expect(during.memory.swappiness.value == profile.swappiness)
        #expect(during.memory.transparentHugepages.value == profile.transparentHugepages)
        let swap = during.memory.swapDevices.value?.first { $0.path == profile.swapFilePath }
        #expect(swap?.type == "file")
        #expect(swap.map { $0.sizeBytes > 60 << 20 && $0.sizeBytes <= 64 << 20 } == true)

        let restored = try preparation.restore()
        #expect(restored.complete)
        #expect(restored.settings.first { $0.setting == "swap_file" }?.status == .removed)
        #expect(!FileManager.default.fileExists(atPath: profile.swapFilePath))
        #expect(try Self.stableJSON(SystemShow.read()) == Self.stableJSON(before))

        let again = try preparation.restore()
        #expect(!again.found && again.complete)
        #expect(try Self.stableJSON(SystemShow.read()) == Self.stableJSON(before))
    }

    @Test(.enabled(if: isRoot, "changing swappiness, THP and swap needs root"))
    func crashAfterPrepareIsCompletedByTheNextRestore() throws {
        let stateFile = SystemFixtures.stateFile()
        defer { _ = try? SystemPreparation(stateFile: stateFile).restore() }
        let before = SystemShow.read()
        let profile = Self.liveProfile(before)
        do {
            // The preparing process "dies" here: nothing but the state file survives it.
            _ = try SystemPreparation(stateFile: stateFile).prepare(profile: profile)
        }
        #expect(SystemShow.read().memory.swappiness.value == profile.swappiness)
        #expect(FileManager.default.fileExists(atPath: stateFile.path))

        let report = try SystemPreparation(stateFile: stateFile).restore()
        #expect(report.found && report.complete && report.profile == "live-test")
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
        #expect(!FileManager.default.fileExists(atPath: profile.swapFilePath))
        #expect(try Self.stableJSON(SystemShow.read()) == Self.stableJSON(before))
    }

    // MARK: the CLI

    static var hasCLI: Bool { FileManager.default.isExecutableFile(atPath: TestPaths.inferlab) }

    static func inferlab(_ arguments: [String], stateFile: URL) throws -> CommandResult {
        try runProcess(
            TestPaths.inferlab, arguments,
            environment: ["INFERLAB_ROOT": TestPaths.root.path, "INFERLAB_SYSTEM_STATE": stateFile.path])
    }

    @Test(.enabled(if: hasCLI, "the inferlab executable is not built"))
    func cliShowAndDryRun() throws {
        let stateFile = SystemFixtures.stateFile()
        let show = try Self.inferlab(["system", "show", "--json"], stateFile: stateFile)
        #expect(show.status == 0, "\(show.stderr)")
        let info = try JSONDecoder().decode(SystemInfo.self, from: Data(show.stdout.utf8))
        #expect(try Self.stableJSON(info) == Self.stableJSON(SystemShow.read()))

        let text = try Self.inferlab(["system", "show"], stateFile: stateFile)
        #expect(text.stdout.contains("[/proc/sys/vm/swappiness]"))

        let plan = try Self.inferlab(
            ["system", "prepare", "--profile", "paging", "--dry-run", "--json"], stateFile: stateFile)
        #expect(plan.status == 0, "\(plan.stderr)")
        let report = try JSONDecoder().decode(PreparationReport.self, from: Data(plan.stdout.utf8))
        #expect(report.dryRun && report.profile == "paging")
        #expect(report.settings.contains { $0.setting == "swap_file" })
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
        #expect(!FileManager.default.fileExists(atPath: SystemProfile.paging.swapFilePath))
    }

    @Test(.enabled(if: hasCLI, "the inferlab executable is not built"))
    func cliBadInputExitsTwo() throws {
        let stateFile = SystemFixtures.stateFile()
        let unknown = try Self.inferlab(["system", "prepare", "--profile", "fastest"], stateFile: stateFile)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown profile"))

        let badFile = stateFile.deletingLastPathComponent().appendingPathComponent("bad.json")
        try Data("{\"swappiness\": -1}".utf8).write(to: badFile)
        let invalid = try Self.inferlab(["system", "prepare", "--profile", badFile.path], stateFile: stateFile)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("swappiness"))

        let nothing = try Self.inferlab(["system", "restore", "--json"], stateFile: stateFile)
        #expect(nothing.status == 0)
        #expect(try JSONDecoder().decode(RestoreReport.self, from: Data(nothing.stdout.utf8)).found == false)

        try Data("not json".utf8).write(to: stateFile)
        let corrupt = try Self.inferlab(["system", "restore"], stateFile: stateFile)
        #expect(corrupt.status == 2)
        #expect(corrupt.stderr.contains("corrupt") && corrupt.stderr.contains("delete the state file"))
        #expect(FileManager.default.fileExists(atPath: stateFile.path))  // left for the user
    }
}
