public import Foundation
import Yams

/// What `inferlab system prepare` sets. Every field left nil (or false) leaves that setting alone.
///
/// Built in: ``bounded`` and ``paging``. A FILE profile is JSON (or YAML, by a `.yaml` or `.yml` name) with the
/// snake_case keys below, for example
/// `{"name": "mine", "swappiness": 10, "transparent_hugepages": "never", "swap_file_mb": 256}`.
public struct SystemProfile: Codable, Sendable, Equatable {
    /// A name recorded in the state file and reports. The default is `custom`.
    public var name: String = "custom"
    /// The cpufreq governor for every CPU (`performance`). The default is nil (unchanged).
    public var governor: String?
    /// Turbo/boost on (true) or off (false). The default is nil (unchanged).
    public var boost: Bool?
    /// `vm.swappiness`, 0...200. The default is nil (unchanged).
    public var swappiness: Int?
    /// Transparent hugepages mode: `always`, `madvise` or `never`. The default is nil (unchanged).
    public var transparentHugepages: String?
    /// Size of a swap file to create and enable, in MiB (at least 1). The default is nil (no swap file).
    public var swapFileMB: Int?
    /// Where the swap file goes; it must not exist yet and must be on a disk file system (not tmpfs).
    /// The default is `/var/tmp/inferlab.swap`.
    public var swapFilePath: String = SystemProfile.defaultSwapFilePath
    /// `RLIMIT_MEMLOCK` for launched engines (bytes or `"unlimited"`); recorded, and set with `prlimit`
    /// when an engine is launched. The default is nil (the caller's limit).
    public var memlock: MemlockLimit?
    /// Whether to drop the page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`); not undone by restore.
    /// The default is false.
    public var dropPageCache: Bool = false

    /// The default swap file path.
    public static let defaultSwapFilePath = "/var/tmp/inferlab.swap"

    /// Creates a profile that changes nothing; set the fields you want.
    public init(name: String = "custom") {
        self.name = name
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, governor, boost, swappiness
        case transparentHugepages = "transparent_hugepages"
        case swapFileMB = "swap_file_mb"
        case swapFilePath = "swap_file_path"
        case memlock
        case dropPageCache = "drop_page_cache"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? "custom"
        governor = try container.decodeIfPresent(String.self, forKey: .governor)
        boost = try container.decodeIfPresent(Bool.self, forKey: .boost)
        swappiness = try container.decodeIfPresent(Int.self, forKey: .swappiness)
        transparentHugepages = try container.decodeIfPresent(String.self, forKey: .transparentHugepages)
        swapFileMB = try container.decodeIfPresent(Int.self, forKey: .swapFileMB)
        swapFilePath = try container.decodeIfPresent(String.self, forKey: .swapFilePath) ?? Self.defaultSwapFilePath
        memlock = try container.decodeIfPresent(MemlockLimit.self, forKey: .memlock)
        dropPageCache = try container.decodeIfPresent(Bool.self, forKey: .dropPageCache) ?? false
    }

    /// Checks every field; the error names the bad one.
    public func validate() throws {
        func bad(_ field: String, _ why: String) -> SystemSetupError {
            SystemSetupError(.invalidProfile, "profile \(name): \(field) \(why)")
        }
        if name.isEmpty { throw bad("name", "must not be empty") }
        if let governor, governor.isEmpty || governor.contains(where: \.isWhitespace) {
            throw bad("governor", "must be one word such as performance")
        }
        if let swappiness, !(0...200).contains(swappiness) {
            throw bad("swappiness", "must be 0...200, found \(swappiness)")
        }
        if let mode = transparentHugepages, !["always", "madvise", "never"].contains(mode) {
            throw bad("transparent_hugepages", "must be always, madvise or never, found \(mode)")
        }
        if let size = swapFileMB, size < 1 || size > 1_048_576 {
            throw bad("swap_file_mb", "must be 1...1048576 MiB, found \(size)")
        }
        if !swapFilePath.hasPrefix("/") || swapFilePath.hasSuffix("/") {
            throw bad("swap_file_path", "must be an absolute file path, found \(swapFilePath)")
        }
        if case .bytes(let bytes) = memlock, bytes < 65536 {
            throw bad("memlock", "must be \"unlimited\" or at least 65536 bytes, found \(bytes)")
        }
    }

    /// The bounded-latency study: fixed frequency, no turbo, little swapping, no THP compaction stalls,
    /// unlimited memory locking for engines, a cold page cache.
    public static let bounded: SystemProfile = {
        var profile = SystemProfile(name: "bounded")
        profile.governor = "performance"
        profile.boost = false
        profile.swappiness = 1
        profile.transparentHugepages = "never"
        profile.memlock = .unlimited
        profile.dropPageCache = true
        return profile
    }()

    /// The memory-and-paging study: as `bounded`, plus a 2 GiB swap file and eager swapping so anonymous
    /// pages can be pushed out under a memory limit.
    public static let paging: SystemProfile = {
        var profile = SystemProfile(name: "paging")
        profile.governor = "performance"
        profile.boost = false
        profile.swappiness = 100
        profile.transparentHugepages = "never"
        profile.swapFileMB = 2048
        profile.memlock = .unlimited
        profile.dropPageCache = true
        return profile
    }()

    /// The built-in profiles by name.
    public static let builtIn: [String: SystemProfile] = ["bounded": bounded, "paging": paging]

    /// A built-in profile by name, or a JSON or YAML profile file by path; validated.
    public static func named(_ nameOrPath: String) throws -> SystemProfile {
        if let profile = builtIn[nameOrPath] { return profile }
        let isYAML = nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
        let looksLikePath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") || isYAML
        guard looksLikePath || FileManager.default.fileExists(atPath: nameOrPath) else {
            throw SystemSetupError(
                .unknownProfile,
                "unknown profile \"\(nameOrPath)\": use bounded, paging, or the path of a JSON or YAML profile file")
        }
        guard let data = FileManager.default.contents(atPath: nameOrPath) else {
            throw SystemSetupError(.invalidProfile, "cannot read profile file \(nameOrPath): check the path")
        }
        return isYAML ? try decodeYAML(data, source: nameOrPath) : try decode(data, source: nameOrPath)
    }

    /// A YAML profile: the same fields as JSON, checked the same way.
    public static func decodeYAML(_ data: Data, source: String) throws -> SystemProfile {
        let object: Any?
        do {
            object = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw SystemSetupError(.invalidProfile, "profile file \(source) is not valid YAML: \(error)")
        }
        guard let fields = object as? [String: Any], JSONSerialization.isValidJSONObject(fields),
            let json = try? JSONSerialization.data(withJSONObject: fields)
        else {
            throw SystemSetupError(.invalidProfile, "profile file \(source) must hold one mapping of fields")
        }
        return try decode(json, source: source)
    }

    /// Decodes and validates a JSON profile; unknown keys are rejected so typos do not pass silently.
    public static func decode(_ data: Data, source: String) throws -> SystemProfile {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SystemSetupError(
                .invalidProfile, "profile file \(source) is not valid JSON (name a YAML file .yaml or .yml): \(error)")
        }
        guard let fields = object as? [String: Any] else {
            throw SystemSetupError(.invalidProfile, "profile file \(source) must hold one JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw SystemSetupError(
                .invalidProfile,
                "profile file \(source): unknown field \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
        }
        let profile: SystemProfile
        do {
            profile = try JSONDecoder().decode(SystemProfile.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SystemSetupError(
                .invalidProfile, "profile file \(source): field \(field): \(context.debugDescription)")
        } catch {
            throw SystemSetupError(.invalidProfile, "profile file \(source) cannot be decoded: \(error)")
        }
        try profile.validate()
        return profile
    }
}
