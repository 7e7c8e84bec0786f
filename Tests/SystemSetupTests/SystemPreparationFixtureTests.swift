import Foundation
import Testing

@testable import SystemSetup

/// prepare / restore on writable copies of the fixture trees (no change to this machine).
@Suite struct SystemPreparationFixtureTests {
    static var fullProfile: SystemProfile {
        var profile = SystemProfile(name: "fixture")
        profile.governor = "performance"
        profile.boost = false
        profile.swappiness = 5
        profile.transparentHugepages = "never"
        profile.memlock = .unlimited
        profile.dropPageCache = true
        return profile
    }

    @Test func intelHostRoundTrip() throws {
        let root = try SystemFixtures.copy("intel-pstate-host")
        let stateFile = SystemFixtures.stateFile()
        let preparation = SystemPreparation(root: root, stateFile: stateFile)
        let before = SystemShow.read(root: root)

        let report = try preparation.prepare(profile: Self.fullProfile)
        let statuses = Dictionary(uniqueKeysWithValues: report.settings.map { ($0.setting, $0.status) })
        #expect(statuses["governor cpu0"] == .applied && statuses["governor cpu7"] == .applied)
        #expect(statuses["boost"] == .applied)
        #expect(statuses["swappiness"] == .applied)
        #expect(statuses["transparent_hugepages"] == .applied)
        #expect(statuses["memlock"] == .applied || statuses["memlock"] == .already)
        #expect(statuses["drop_page_cache"] == .applied)
        #expect(report.memlockLimit == .unlimited)

        let during = SystemShow.read(root: root)
        #expect(during.frequency.governors.value?.allSatisfy { $0.governor == "performance" } == true)
        #expect(during.frequency.boost.value == false)
        #expect(during.memory.swappiness.value == 5)
        #expect(SystemFixtures.read(root, SystemShow.Path.thpEnabled) == "never")
        #expect(SystemFixtures.read(root, SystemShow.Path.dropCaches) == "3")
        #expect(try preparation.recordedMemlockLimit() == .unlimited)
        let state = try #require(try preparation.pendingState())
        #expect(state.settings.count == 11)
        #expect(state.settings.first { $0.setting == "transparent_hugepages" }?.previous == "madvise")

        let restored = try preparation.restore()
        #expect(restored.complete)
        #expect(restored.settings.filter { $0.status == .restored }.count == 11)
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
        // The fixture's THP file now holds the bare word written back; it reads as the same mode.
        #expect(SystemShow.read(root: root) == before)

        let again = try preparation.restore()
        #expect(!again.found && again.complete && again.settings.isEmpty)
    }

    @Test func alreadySetIsReportedAndNotRecorded() throws {
        let root = try SystemFixtures.copy("cgroup2-host")
        let preparation = SystemPreparation(root: root, stateFile: SystemFixtures.stateFile())
        var profile = SystemProfile(name: "same")
        profile.swappiness = 10
        profile.transparentHugepages = "always"
        profile.boost = false
        defer { _ = try? preparation.restore() }
        let report = try preparation.prepare(profile: profile)
        #expect(report.settings.map(\.status) == [.applied, .already, .already])
        #expect(report.settings[0].source == SystemShow.Path.cpufreqBoost)
        #expect(SystemFixtures.read(root, SystemShow.Path.cpufreqBoost) == "0")
        #expect(try preparation.pendingState()?.settings.map(\.setting) == ["boost"])
    }

    @Test func dryRunWritesNothing() throws {
        let root = try SystemFixtures.copy("intel-pstate-host")
        let stateFile = SystemFixtures.stateFile()
        let report = try SystemPreparation(root: root, stateFile: stateFile).prepare(
            profile: Self.fullProfile, dryRun: true)
        #expect(report.dryRun)
        #expect(report.settings.filter { $0.status == .planned }.count >= 11)
        #expect(report.settings.first { $0.setting == "swappiness" }?.previous == "60")
        #expect(SystemFixtures.read(root, SystemShow.Path.swappiness) == "60")
        #expect(SystemFixtures.read(root, SystemShow.Path.dropCaches) == "")
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
    }

    @Test func unexposedSettingsAreNotAvailableNotFailures() throws {
        let root = try SystemFixtures.copy("this-vm")
        let preparation = SystemPreparation(root: root, stateFile: SystemFixtures.stateFile())
        var profile = SystemProfile.paging
        profile.dropPageCache = true
        defer { _ = try? preparation.restore() }
        let report = try preparation.prepare(profile: profile)
        let byName = Dictionary(uniqueKeysWithValues: report.settings.map { ($0.setting, $0) })
        #expect(byName["governor"]?.status == .notAvailable)
        #expect(byName["governor"]?.reason?.contains("not exposed") == true)
        #expect(byName["boost"]?.status == .notAvailable)
        #expect(byName["swap_file"]?.status == .notAvailable)  // a fixture root never gets a swap file
        #expect(byName["drop_page_cache"]?.status == .notAvailable)  // the capture has no drop_caches file
        #expect(byName["swappiness"]?.status == .applied)
        #expect(try preparation.pendingState()?.settings.map(\.setting) == ["swappiness", "transparent_hugepages"])
    }

    @Test func crashMidPrepareIsCompletedByRestore() throws {
        let root = try SystemFixtures.copy("intel-pstate-host")
        let stateFile = SystemFixtures.stateFile()
        // A crash after the state was saved but before the write: restore finds the value unchanged.
        // A crash after the write: restore puts it back. Both entries are in one state file here.
        let state = SystemState(
            profile: "bounded", preparedAt: "2026-01-01T00:00:00Z", root: root,
            settings: [
                .init(
                    setting: "swappiness", path: SystemShow.Path.swappiness, previous: "60", target: "1", format: .plain
                ),
                .init(setting: "boost", path: SystemShow.Path.intelNoTurbo, previous: "0", target: "1", format: .plain),
            ])
        try state.save(to: stateFile)
        #expect(SystemFiles(root: root).write("1", to: SystemShow.Path.swappiness) == nil)

        let report = try SystemPreparation(root: root, stateFile: stateFile).restore()
        #expect(report.found && report.complete)
        #expect(report.settings.map(\.status) == [.already, .restored])
        #expect(SystemFixtures.read(root, SystemShow.Path.swappiness) == "60")
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
    }

    @Test func prepareCompletesAnUnfinishedPreparationFirst() throws {
        let root = try SystemFixtures.copy("intel-pstate-host")
        let preparation = SystemPreparation(root: root, stateFile: SystemFixtures.stateFile())
        var first = SystemProfile(name: "first")
        first.swappiness = 20
        _ = try preparation.prepare(profile: first)  // "crash": no restore
        var second = SystemProfile(name: "second")
        second.swappiness = 30
        let report = try preparation.prepare(profile: second)
        #expect(report.completedPrevious?.profile == "first")
        #expect(report.settings.first?.previous == "60")  // not 20: the first was undone
        _ = try preparation.restore()
        #expect(SystemFixtures.read(root, SystemShow.Path.swappiness) == "60")
    }

    @Test func corruptStateFileIsAUsageErrorSayingWhatToDo() throws {
        let stateFile = SystemFixtures.stateFile()
        try FileManager.default.createDirectory(
            at: stateFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"version\": 1, \"profile\": ".utf8).write(to: stateFile)
        let preparation = SystemPreparation(root: try SystemFixtures.copy("cgroup2-host"), stateFile: stateFile)
        let error = try #require(throws: SystemSetupError.self) { try preparation.restore() }
        #expect(error.code == .corruptState)
        #expect(error.isUsageError)
        #expect(error.message.contains("delete the state file"))
        #expect(throws: SystemSetupError.self) { try preparation.prepare(profile: .bounded) }
    }

    @Test func failedWriteIsNotAvailableAndNotRecorded() throws {
        let root = try SystemFixtures.copy("cgroup2-host")
        let preparation = SystemPreparation(root: root, stateFile: SystemFixtures.stateFile())
        // A readable file that refuses writes even from root: /proc/version behind a symlink.
        let path = root + SystemShow.Path.swappiness
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/proc/version")
        var profile = SystemProfile(name: "bad")
        profile.swappiness = 1
        profile.transparentHugepages = "never"
        defer { _ = try? preparation.restore() }
        let report = try preparation.prepare(profile: profile)
        #expect(report.settings.map(\.status) == [.notAvailable, .applied])
        #expect(try preparation.pendingState()?.settings.map(\.setting) == ["transparent_hugepages"])
    }
}

/// The scoped form an experiment runner uses.
@Suite struct SystemProvenanceTests {
    struct TrialFailed: Error {}

    @Test func withPreparedRestoresAndRecordsBeforeAndAfter() async throws {
        let root = try SystemFixtures.copy("intel-pstate-host")
        let preparation = SystemPreparation(root: root, stateFile: SystemFixtures.stateFile())
        let (seen, provenance) = try await preparation.withPrepared(profile: SystemPreparationFixtureTests.fullProfile)
        {
            provenance in SystemShow.read(root: root).memory.swappiness.value
        }
        #expect(seen == 5)
        #expect(provenance.before.memory.swappiness.value == 60)
        #expect(provenance.prepared.memory.swappiness.value == 5)
        #expect(provenance.after == provenance.before)
        #expect(provenance.restore?.complete == true)
        #expect(try preparation.pendingState() == nil)
    }

    @Test func withPreparedRestoresWhenTheTrialsFail() async throws {
        let root = try SystemFixtures.copy("intel-pstate-host")
        let preparation = SystemPreparation(root: root, stateFile: SystemFixtures.stateFile())
        await #expect(throws: TrialFailed.self) {
            _ = try await preparation.withPrepared(profile: SystemPreparationFixtureTests.fullProfile) { _ in
                #expect(SystemShow.read(root: root).memory.swappiness.value == 5)
                throw TrialFailed()
            }
        }
        #expect(SystemShow.read(root: root).memory.swappiness.value == 60)
        #expect(try preparation.pendingState() == nil)
    }
}
