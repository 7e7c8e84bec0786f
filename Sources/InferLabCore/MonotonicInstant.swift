#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A reading of `CLOCK_MONOTONIC`, the one clock every InferLab timestamp uses.
///
/// The engine, the load generator and the probe all read this clock, so a token's sampling
/// time, the SSE event that carried it and an OS sample line up on one axis when they run on
/// the same machine. Two instants differ by a standard `Duration`; files store an instant as
/// its integer nanoseconds (the `*_ns` fields), so its coding is that one number.
public struct MonotonicInstant: InstantProtocol, Codable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin (boot).
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The clock's origin: earlier than any reading.
    public static let zero = MonotonicInstant(nanoseconds: 0)

    /// The current reading.
    @inline(__always)
    public static func now() -> MonotonicInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicInstant(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec))
    }

    /// The instant `duration` later (earlier when negative), clamped to the clock's origin.
    public func advanced(by duration: Duration) -> MonotonicInstant {
        let delta = duration.nanoseconds
        if delta >= 0 { return MonotonicInstant(nanoseconds: nanoseconds &+ UInt64(delta)) }
        let back = delta.magnitude
        return MonotonicInstant(nanoseconds: back >= nanoseconds ? 0 : nanoseconds - back)
    }

    /// The signed time from this instant to `other`.
    public func duration(to other: MonotonicInstant) -> Duration {
        other.nanoseconds >= nanoseconds
            ? .nanoseconds(Int64(clamping: other.nanoseconds - nanoseconds))
            : .nanoseconds(-Int64(clamping: nanoseconds - other.nanoseconds))
    }

    /// The time elapsed since this instant.
    public var elapsed: Duration { duration(to: .now()) }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant { lhs.advanced(by: rhs) }
    public static func - (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant { lhs.advanced(by: .zero - rhs) }
    public static func += (lhs: inout MonotonicInstant, rhs: Duration) { lhs = lhs.advanced(by: rhs) }
    /// `lhs` after `rhs` gives a positive duration.
    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration { rhs.duration(to: lhs) }

    public init(from decoder: any Decoder) throws {
        nanoseconds = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(nanoseconds)
    }

    public var description: String { "\(nanoseconds) ns" }
}

extension Duration {
    /// The duration in whole nanoseconds (rounded toward zero, clamped to `Int64`).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow
            ? (seconds < 0 ? .min : .max) : scaled + attoseconds / 1_000_000_000
    }

    /// The duration in milliseconds, as reports and logs print it.
    public var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) / 1e15 }

    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// `seconds` as a duration (to the nanosecond); a negative or non-finite value is zero.
    public static func seconds(clamping seconds: Double) -> Duration {
        seconds.isFinite && seconds > 0 ? .nanoseconds(Int64(min(seconds * 1e9, 9.2e18).rounded())) : .zero
    }
}
