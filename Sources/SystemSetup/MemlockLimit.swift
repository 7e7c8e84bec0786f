import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `RLIMIT_MEMLOCK` value: a number of bytes or `unlimited`.
///
/// In JSON it is the string `"unlimited"` or an integer number of bytes.
public enum MemlockLimit: Codable, Sendable, Equatable, CustomStringConvertible {
    /// No limit (`rlim_t.max`).
    case unlimited
    /// At most this many bytes may be locked.
    case bytes(UInt64)

    /// Parses `unlimited` or a decimal number of bytes, as `/proc/self/limits` prints them.
    public init?(limitText: String) {
        if limitText == "unlimited" {
            self = .unlimited
        } else if let value = UInt64(limitText) {
            self = .bytes(value)
        } else {
            return nil
        }
    }

    /// Creates a limit from the kernel's `rlim_t`.
    init(rlimValue: rlim_t) {
        self = rlimValue == rlim_t.max ? .unlimited : .bytes(UInt64(rlimValue))
    }

    /// `unlimited` or the number of bytes.
    public var description: String {
        switch self {
        case .unlimited: return "unlimited"
        case .bytes(let value): return "\(value)"
        }
    }

    /// Whether this limit allows at least as much as `other`.
    public func covers(_ other: MemlockLimit) -> Bool {
        switch (self, other) {
        case (.unlimited, _): return true
        case (.bytes, .unlimited): return false
        case (.bytes(let mine), .bytes(let theirs)): return mine >= theirs
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let limit = MemlockLimit(limitText: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected \"unlimited\" or a number of bytes, found \"\(text)\"")
            }
            self = limit
        } else {
            self = .bytes(try container.decode(UInt64.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .unlimited: try container.encode("unlimited")
        case .bytes(let value): try container.encode(value)
        }
    }

    /// The calling process's soft and hard `RLIMIT_MEMLOCK`.
    public static func current() -> (soft: MemlockLimit, hard: MemlockLimit) {
        var limit = rlimit()
        _ = getrlimit(resourceType, &limit)
        return (MemlockLimit(rlimValue: limit.rlim_cur), MemlockLimit(rlimValue: limit.rlim_max))
    }

    private static var resourceType: __rlimit_resource_t { __rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue) }
    private var resourceType: __rlimit_resource_t { Self.resourceType }
}
