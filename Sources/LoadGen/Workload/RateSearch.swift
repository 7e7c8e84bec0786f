/// Detects an over-saturated open-loop window: requests piling up without bound.
///
/// Fed the client's requests in flight (and the server's queue depth, when scraped) as the
/// window runs. Saturated once enough time has passed for 8 arrivals (at least 4 s) and the
/// backlog grew, over the second half of the elapsed time, by at least `growthShare` of the
/// arrivals of that half, by 3 standard deviations of their Poisson count and by at least
/// `minimumGrowth` requests: a server keeping up holds its backlog level (Little's law: rate x
/// latency), one falling behind adds a fixed share of every arrival.
public struct SaturationDetector: Sendable {
    public var rate: Double
    public var minimumSeconds: Double
    public var growthShare: Double = 0.25
    public var minimumGrowth: Double = 4
    private var samples: [(t: Double, backlog: Double)] = []

    public init(rate: Double) {
        self.rate = rate
        minimumSeconds = max(4, 8 / rate)
    }

    /// Adds a reading `t` seconds into the window; returns why the window is saturated, if it is.
    public mutating func observe(t: Double, backlog: Double) -> String? {
        samples.append((t, backlog))
        guard t >= minimumSeconds else { return nil }
        let half = t / 2
        guard let earlier = samples.last(where: { $0.t <= half }) else { return nil }
        let growth = backlog - earlier.backlog
        let arrivals = rate * (t - earlier.t)
        guard growth >= minimumGrowth, growth >= growthShare * arrivals, growth >= 3 * arrivals.squareRoot() else {
            return nil
        }
        return String(
            format: "backlog grew from %.0f to %.0f in %.1f s while %.1f requests were due", earlier.backlog, backlog,
            t - earlier.t, arrivals)
    }
}

/// The search of `max_rate`: the highest request rate whose goodput (the share of requests
/// meeting the SLO) stays at or above a target. A pure state machine: ask ``next()`` for the
/// rate of the next window, tell it what the window measured with ``record(rate:fraction:saturated:)``.
///
/// From `start` the rate doubles until one fails (or halves until one passes), then the
/// interval between the highest passing and the lowest failing rate is bisected until it is
/// narrower than `precision` (relative) or `maxSteps` windows have run.
public struct RateSearch: Sendable {
    public struct Trial: Sendable, Codable, Equatable {
        public var rate: Double
        /// Share of the window's requests that met the SLO.
        public var goodputFraction: Double
        public var passed: Bool
        /// Why the window stopped early, when the backlog grew without bound.
        public var saturated: String?

        enum CodingKeys: String, CodingKey {
            case rate, passed, saturated
            case goodputFraction = "goodput_fraction"
        }
    }

    public let start: Double
    public let target: Double
    public let maxSteps: Int
    public let precision: Double
    public private(set) var trials: [Trial] = []

    public init(start: Double, target: Double, maxSteps: Int, precision: Double = 0.1) {
        self.start = start
        self.target = target
        self.maxSteps = maxSteps
        self.precision = precision
    }

    /// The highest passing rate so far.
    public var best: Trial? { trials.filter(\.passed).max { $0.rate < $1.rate } }
    /// The lowest failing rate above the best (the step above).
    public var above: Trial? {
        let floor = best?.rate ?? 0
        return trials.filter { !$0.passed && $0.rate > floor }.min { $0.rate < $1.rate }
    }

    /// The next rate to try, nil when the search is over.
    public func next() -> Double? {
        guard trials.count < maxSteps else { return nil }
        guard !trials.isEmpty else { return start }
        switch (best, above) {
        case (nil, _):
            // Nothing passed yet: halve, down to 1/64 of the start.
            let low = trials.map(\.rate).min()!
            return low / 2 >= start / 64 ? low / 2 : nil
        case (let good?, nil):
            return good.rate * 2
        case (let good?, let bad?):
            guard bad.rate / good.rate > 1 + precision else { return nil }
            return ((good.rate + bad.rate) / 2 * 1000).rounded() / 1000
        }
    }

    public mutating func record(rate: Double, fraction: Double, saturated: String?) {
        trials.append(
            Trial(
                rate: rate, goodputFraction: fraction, passed: saturated == nil && fraction >= target,
                saturated: saturated))
    }
}
