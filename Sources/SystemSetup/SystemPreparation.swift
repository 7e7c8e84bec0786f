public import Foundation
import InferLabCore

#if canImport(Glibc)
    import Glibc
#endif

/// Prepares the machine for an experiment and puts it back: `inferlab system prepare` / `restore`.
///
/// Before each change the previous value is saved in ``stateFile``, so a crash between `prepare` and `restore`
/// leaves a record that the next `restore` (or `prepare`) completes. `restore` without a state file does nothing.
public struct SystemPreparation: Sendable {
    /// The directory that stands for `/`. The default is `/` (the running machine).
    public var root: String
    /// Where previous values are saved. The default is ``defaultStateFile``.
    public var stateFile: URL

    /// Creates a preparation for the machine at `root` with its state at `stateFile`.
    public init(root: String = "/", stateFile: URL = SystemPreparation.defaultStateFile) {
        self.root = root
        self.stateFile = stateFile
    }

    /// `$INFERLAB_SYSTEM_STATE` when set, otherwise `~/.cache/inferlab/system-state.json`.
    public static var defaultStateFile: URL {
        if let path = ProcessInfo.processInfo.environment["INFERLAB_SYSTEM_STATE"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return UserDirectories.home.appendingPathComponent(".cache/inferlab/system-state.json")
    }

    var files: SystemFiles { SystemFiles(root: root) }

    /// The state of an unfinished preparation, or nil when the machine is not prepared.
    public func pendingState() throws -> SystemState? {
        try SystemState.load(from: stateFile)
    }

    /// The memory-lock limit the current preparation recorded for launched engines, if any.
    public func recordedMemlockLimit() throws -> MemlockLimit? {
        try pendingState()?.memlock
    }

    /// Applies `profile`. An unfinished earlier preparation is restored first. With `dryRun` nothing is written
    /// and every setting that would change is reported `planned`.
    public func prepare(profile: SystemProfile, dryRun: Bool = false) throws -> PreparationReport {
        try profile.validate()
        var report = PreparationReport(
            profile: profile.name, dryRun: dryRun, stateFile: stateFile.path, completedPrevious: nil, settings: [],
            memlockLimit: profile.memlock)
        if dryRun {
            if let pending = try pendingState() {
                report.completedPrevious = RestoreReport(
                    stateFile: stateFile.path, found: true, profile: pending.profile, settings: [], complete: false)
            }
            report.settings = plan(profile)
            return report
        }
        if try pendingState() != nil {
            let previous = try restore()
            report.completedPrevious = previous
            guard previous.complete else {
                throw SystemSetupError(
                    .restoreIncomplete,
                    "an earlier preparation could not be fully restored (see `inferlab system restore`); "
                        + "fix what it reports before preparing again")
            }
        }
        var state = SystemState(
            profile: profile.name, preparedAt: ISO8601DateFormatter().string(from: Date()), root: root,
            memlock: profile.memlock)
        try state.save(to: stateFile)
        for step in SettingStep.plan(profile, files: files) {
            report.settings.append(try apply(step, state: &state))
        }
        if let megabytes = profile.swapFileMB {
            report.settings.append(try createSwap(profile.swapFilePath, megabytes: megabytes, state: &state))
        }
        if let limit = profile.memlock { report.settings.append(memlockOutcome(limit, dryRun: false)) }
        if profile.dropPageCache { report.settings.append(dropPageCache(dryRun: false)) }
        try state.save(to: stateFile)
        return report
    }

    /// The outcome every setting would have, without writing anything.
    func plan(_ profile: SystemProfile) -> [SettingOutcome] {
        var outcomes = SettingStep.plan(profile, files: files).map { step in
            SettingOutcome(
                setting: step.setting, source: step.path, previous: step.current, target: step.target,
                status: step.unavailable != nil ? .notAvailable : step.isAlready ? .already : .planned,
                reason: step.unavailable)
        }
        if let megabytes = profile.swapFileMB {
            let reason = swapUnavailableReason(profile.swapFilePath)
            let active = SwapFile.isActive(profile.swapFilePath, files: files)
            outcomes.append(
                SettingOutcome(
                    setting: "swap_file", source: profile.swapFilePath, previous: active ? "active" : "none",
                    target: "\(megabytes) MiB", status: active ? .already : reason == nil ? .planned : .notAvailable,
                    reason: active ? nil : reason))
        }
        if let limit = profile.memlock { outcomes.append(memlockOutcome(limit, dryRun: true)) }
        if profile.dropPageCache { outcomes.append(dropPageCache(dryRun: true)) }
        return outcomes
    }

    /// Saves the previous value, then writes the target; a failed write is dropped from the state again.
    func apply(_ step: SettingStep, state: inout SystemState) throws -> SettingOutcome {
        var outcome = SettingOutcome(
            setting: step.setting, source: step.path, previous: step.current, target: step.target,
            status: .notAvailable, reason: step.unavailable)
        if step.unavailable != nil { return outcome }
        if step.isAlready {
            outcome.status = .already
            return outcome
        }
        guard let previous = step.current else {
            outcome.reason = "not available: cannot read the current value of \(step.path)"
            return outcome
        }
        state.settings.append(
            SystemState.SavedSetting(
                setting: step.setting, path: step.path, previous: previous, target: step.target, format: step.format))
        try state.save(to: stateFile)
        if let failure = files.write(step.target, to: step.path) {
            state.settings.removeLast()
            try state.save(to: stateFile)
            outcome.reason = failure
            return outcome
        }
        outcome.status = .applied
        return outcome
    }

    /// Why a swap file cannot be made at `path`, or nil.
    func swapUnavailableReason(_ path: String) -> String? {
        if !files.isLiveRoot { return "not available: swap files are only made on the live root, not \(root)" }
        if let reason = SwapFile.unavailableReason() { return reason }
        if geteuid() != 0 { return "permission denied: swapon needs root" }
        if FileManager.default.fileExists(atPath: path) {
            return "not available: \(path) exists and is not active swap; remove it or set swap_file_path"
        }
        return nil
    }

    /// Records the swap file, then creates and enables it; on failure it is removed and dropped from the state.
    func createSwap(_ path: String, megabytes: Int, state: inout SystemState) throws -> SettingOutcome {
        var outcome = SettingOutcome(
            setting: "swap_file", source: path, previous: "none", target: "\(megabytes) MiB", status: .notAvailable,
            reason: nil)
        if SwapFile.isActive(path, files: files) {
            outcome.previous = "active"
            outcome.status = .already
            outcome.reason = "already active swap; left alone by restore"
            return outcome
        }
        if let reason = swapUnavailableReason(path) {
            outcome.reason = reason
            return outcome
        }
        let bytes = UInt64(megabytes) << 20
        state.swapFile = SystemState.SavedSwapFile(path: path, sizeBytes: bytes)
        try state.save(to: stateFile)
        do {
            try SwapFile.create(path: path, bytes: bytes)
        } catch {
            state.swapFile = nil
            try state.save(to: stateFile)
            outcome.reason = "not available: \(error)"
            return outcome
        }
        outcome.status = .applied
        return outcome
    }

    /// The memlock limit is recorded in the state and set by the trial on each engine (`prlimit`) before it runs.
    func memlockOutcome(_ limit: MemlockLimit, dryRun: Bool) -> SettingOutcome {
        let soft = MemlockLimit.current().soft
        let covered = soft.covers(limit)
        return SettingOutcome(
            setting: "memlock", source: "prlimit(RLIMIT_MEMLOCK) at engine launch", previous: soft.description,
            target: limit.description, status: covered ? .already : dryRun ? .planned : .applied,
            reason: "recorded for launched engines; set with prlimit on each engine before it runs")
    }

    /// `sync`, then `3 > /proc/sys/vm/drop_caches`. Nothing to restore.
    func dropPageCache(dryRun: Bool) -> SettingOutcome {
        let path = SystemShow.Path.dropCaches
        var outcome = SettingOutcome(
            setting: "drop_page_cache", source: path, previous: nil, target: "3", status: .planned,
            reason: "not undone by restore")
        if !files.exists(path) {
            outcome.status = .notAvailable
            outcome.reason = "not exposed: \(path) does not exist"
            return outcome
        }
        if dryRun { return outcome }
        if files.isLiveRoot { sync() }
        if let failure = files.write("3", to: path) {
            outcome.status = .notAvailable
            outcome.reason = failure
        } else {
            outcome.status = .applied
        }
        return outcome
    }
}
