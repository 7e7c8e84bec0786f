/// Decides when a reading that is taken less often than samples is due (pure).
///
/// A reading is due at the first call, then once `interval` has passed since the last one,
/// with `tolerance` slack so that a sampler whose ticks are exactly `interval` apart (give or
/// take scheduling jitter) takes the reading at every tick rather than every other one.
struct IntervalGate: Sendable, Equatable {
    /// Nanoseconds between readings; 0 = every call.
    var interval: UInt64
    /// Nanoseconds of slack (half the sampling interval).
    var tolerance: UInt64
    /// When the last reading was taken.
    private(set) var last: UInt64?

    init(interval: UInt64, tolerance: UInt64) {
        self.interval = interval
        self.tolerance = tolerance
    }

    /// Milliseconds, as configurations give them.
    init(intervalMilliseconds: Double, samplingMilliseconds: Double) {
        self.init(
            interval: UInt64(max(0, intervalMilliseconds) * 1e6), tolerance: UInt64(max(0, samplingMilliseconds) * 5e5))
    }

    /// Whether a reading is due at `now` (does not record it).
    func isDue(_ now: UInt64) -> Bool {
        guard let last else { return true }
        return now < last || now - last + tolerance >= interval
    }

    /// Returns whether a reading is due at `now`, and if so records `now` as its time.
    mutating func take(_ now: UInt64) -> Bool {
        guard isDue(now) else { return false }
        last = now
        return true
    }
}
