import InferLabCore

/// Decides when a reading that is taken less often than samples is due (pure).
///
/// A reading is due at the first call, then once `interval` has passed since the last one,
/// with `tolerance` slack so that a sampler whose ticks are exactly `interval` apart (give or
/// take scheduling jitter) takes the reading at every tick rather than every other one.
struct IntervalGate: Sendable, Equatable {
    /// Time between readings; zero = every call.
    var interval: Duration
    /// Slack (half the sampling interval).
    var tolerance: Duration
    /// When the last reading was taken.
    private(set) var last: MonotonicInstant?

    init(interval: Duration, tolerance: Duration) {
        self.interval = interval
        self.tolerance = tolerance
    }

    /// Milliseconds, as configurations give them.
    init(intervalMilliseconds: Double, samplingMilliseconds: Double) {
        self.init(
            interval: .seconds(clamping: intervalMilliseconds / 1000),
            tolerance: .seconds(clamping: samplingMilliseconds / 2000))
    }

    /// Whether a reading is due at `now` (does not record it).
    func isDue(_ now: MonotonicInstant) -> Bool {
        guard let last else { return true }
        return now < last || (now - last) + tolerance >= interval
    }

    /// Returns whether a reading is due at `now`, and if so records `now` as its time.
    mutating func take(_ now: MonotonicInstant) -> Bool {
        guard isDue(now) else { return false }
        last = now
        return true
    }
}
