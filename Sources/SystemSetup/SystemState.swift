import Foundation

/// What `prepare` changed, saved before each change so `restore` can undo it even after a crash.
///
/// Stored as JSON at ``SystemPreparation/stateFile`` (by default `~/.cache/inferlab/system-state.json`).
public struct SystemState: Codable, Sendable, Equatable {
    /// One kernel file changed by `prepare`.
    public struct SavedSetting: Codable, Sendable, Equatable {
        /// The setting's name (`swappiness`, `governor cpu3`, ...).
        public var setting: String
        /// The file written, as on the machine.
        public var path: String
        /// The value before `prepare`, written back by `restore`.
        public var previous: String
        /// The value `prepare` wrote.
        public var target: String
        /// `plain` for a one-value file, `choice` for a `a [b] c` file.
        public var format: SettingFormat
    }

    /// A swap file `prepare` created.
    public struct SavedSwapFile: Codable, Sendable, Equatable {
        /// The swap file's path.
        public var path: String
        /// Its size in bytes.
        public var sizeBytes: UInt64

        enum CodingKeys: String, CodingKey {
            case path
            case sizeBytes = "size_bytes"
        }
    }

    /// The version of this file's shape. The current version is 1.
    public var version: Int = 1
    /// The profile that was prepared.
    public var profile: String
    /// When `prepare` started (ISO 8601).
    public var preparedAt: String
    /// The directory that stood for `/`.
    public var root: String
    /// Changed kernel files, in the order they were changed.
    public var settings: [SavedSetting] = []
    /// The swap file created, if any.
    public var swapFile: SavedSwapFile?
    /// The memory-lock limit for launched engines, if the profile set one.
    public var memlock: MemlockLimit?

    enum CodingKeys: String, CodingKey {
        case version, profile
        case preparedAt = "prepared_at"
        case root, settings
        case swapFile = "swap_file"
        case memlock
    }

    /// Reads the state file; nil when there is none.
    static func load(from url: URL) throws -> SystemState? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SystemSetupError(
                .corruptState, "cannot read the state file \(url.path): \(error); check its permissions", cause: error)
        }
        do {
            let state = try JSONDecoder().decode(SystemState.self, from: data)
            guard state.version == 1 else {
                throw SystemSetupError(.corruptState, "unsupported version \(state.version)")
            }
            return state
        } catch {
            throw SystemSetupError(
                .corruptState,
                "the state file \(url.path) is corrupt (\(error)). Compare `inferlab system show` with the values "
                    + "you expect (swappiness, transparent hugepages, swap, governor), put them back by hand, "
                    + "then delete the state file",
                cause: error)
        }
    }

    /// Writes the state file atomically (a temporary file renamed over it), creating its directory.
    func save(to url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw SystemSetupError(
                .stateWriteFailed,
                "cannot write the state file \(url.path): \(error); nothing further was changed", cause: error)
        }
    }
}

/// How a kernel file holds its value.
public enum SettingFormat: String, Codable, Sendable {
    /// One value (`60`).
    case plain
    /// A choice with the current one bracketed (`always [madvise] never`).
    case choice

    /// The current value in `text`.
    func current(_ text: String) -> String? {
        switch self {
        case .plain:
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        case .choice: return SystemText.bracketed(text).selected
        }
    }
}
