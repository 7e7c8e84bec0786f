/// How one setting ended after `prepare`.
public enum SettingStatus: String, Codable, Sendable {
    /// Changed to the profile's value (the previous value is saved).
    case applied
    /// Already at the profile's value; nothing changed.
    case already
    /// Not exposed on this kernel or hypervisor, or not permitted; the reason says which.
    case notAvailable = "not_available"
    /// Dry run: would be changed.
    case planned
}

/// One setting in a preparation report.
public struct SettingOutcome: Codable, Sendable, Equatable {
    /// The setting (`swappiness`, `governor cpu0`, `swap_file`, ...).
    public var setting: String
    /// The file or mechanism it is set through.
    public var source: String
    /// The value found before.
    public var previous: String?
    /// The profile's value.
    public var target: String
    /// How it ended.
    public var status: SettingStatus
    /// Why it is not available, or a remark.
    public var reason: String?
}

/// What `prepare` did (or, in a dry run, would do).
public struct PreparationReport: Codable, Sendable, Equatable {
    /// The profile's name.
    public var profile: String
    /// Whether this was only a plan.
    public var dryRun: Bool
    /// The state file that records the previous values.
    public var stateFile: String
    /// An earlier, unfinished preparation that was restored first (after a crash), if any.
    public var completedPrevious: RestoreReport?
    /// Every setting of the profile, in the order applied.
    public var settings: [SettingOutcome]
    /// The `RLIMIT_MEMLOCK` to give launched engines (an experiment's trials set it on each engine with
    /// `prlimit` before it runs: `MemoryLock`), or nil when the profile leaves it alone.
    public var memlockLimit: MemlockLimit?

    enum CodingKeys: String, CodingKey {
        case profile
        case dryRun = "dry_run"
        case stateFile = "state_file"
        case completedPrevious = "completed_previous"
        case settings
        case memlockLimit = "memlock_limit"
    }
}

/// How one setting ended after `restore`.
public enum RestoreStatus: String, Codable, Sendable {
    /// Put back to its previous value.
    case restored
    /// Already at its previous value.
    case already
    /// Something `prepare` created was removed (the swap file) or forgotten (the memlock limit).
    case removed
    /// Could not be put back; the state file keeps it for the next `restore`.
    case failed
}

/// One setting in a restore report.
public struct RestoreOutcome: Codable, Sendable, Equatable {
    /// The setting.
    public var setting: String
    /// The file or mechanism.
    public var source: String
    /// The value restored.
    public var value: String?
    /// How it ended.
    public var status: RestoreStatus
    /// Why it failed, or a remark.
    public var reason: String?
}

/// What `restore` did.
public struct RestoreReport: Codable, Sendable, Equatable {
    /// The state file read.
    public var stateFile: String
    /// Whether a state file existed (false: nothing to restore, which is not an error).
    public var found: Bool
    /// The profile that had been prepared.
    public var profile: String?
    /// Every saved setting, in the order restored.
    public var settings: [RestoreOutcome]
    /// Whether everything was put back (the state file is then removed).
    public var complete: Bool

    enum CodingKeys: String, CodingKey {
        case stateFile = "state_file"
        case found, profile, settings, complete
    }
}
