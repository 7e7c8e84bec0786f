public import InferLabCore

// The `*_ns` columns hold `MonotonicInstant` nanoseconds as SQLite's signed integers; these
// read them back as instants, so callers never convert by hand.

extension MonotonicInstant {
    /// The instant an `*_ns` column holds.
    public init(column: Int64) { self.init(nanoseconds: UInt64(bitPattern: column)) }

    /// The instant as an `*_ns` column holds it.
    public var column: Int64 { Int64(bitPattern: nanoseconds) }
}

extension RequestRow {
    /// `t_sched`.
    public var scheduled: MonotonicInstant { MonotonicInstant(column: scheduledNs) }
    /// `t_send`.
    public var sent: MonotonicInstant { MonotonicInstant(column: sentNs) }
}

extension TrialRecord {
    public var started: MonotonicInstant { MonotonicInstant(column: startedNs) }
    public var ended: MonotonicInstant { MonotonicInstant(column: endedNs) }
}
