#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Nanoseconds on `CLOCK_MONOTONIC`, the one clock every InferLab timestamp uses.
///
/// The engine, the load generator and the probe all read this clock, so a token's sampling
/// time, the SSE event that carried it and an OS sample line up on one axis when they run on
/// the same machine.
public enum MonotonicClock {
    /// The current time in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Milliseconds between two readings, as a `Double`.
    @inline(__always)
    public static func milliseconds(from start: UInt64, to end: UInt64) -> Double {
        Double(end &- start) / 1e6
    }
}
