public import InferLabCore

/// An app-level metric: every request's value before and after, and the statistic judged.
public struct AppMetricSamples: Sendable, Codable, Equatable {
    /// The metric as experiment files name it, e.g. `ttft.p99`.
    public var name: String
    public var unit: MetricUnit
    /// The statistic compared (p99 for `ttft.p99`).
    public var statistic: SummaryStatistic
    public var before: [Double]
    public var after: [Double]

    public init(name: String, unit: MetricUnit, statistic: SummaryStatistic, before: [Double], after: [Double]) {
        self.name = name
        self.unit = unit
        self.statistic = statistic
        self.before = before
        self.after = after
    }
}

/// An OS-level metric's value before and after (a counter's total over the trial, a peak, a mean
/// rate), e.g. `cgroup.cpu.throttled_usec`.
public struct MetricChange: Sendable, Codable, Equatable {
    public var name: String
    public var unit: MetricUnit
    public var before: Double
    public var after: Double
    /// For a control: values below this on both sides count as flat whatever their ratio (a
    /// stall share of 0.2 % -> 0.6 % is noise, not an alternative explanation). `nil`: none.
    public var negligibleBelow: Double?

    public init(name: String, unit: MetricUnit, before: Double, after: Double, negligibleBelow: Double? = nil) {
        self.name = name
        self.unit = unit
        self.before = before
        self.after = after
        self.negligibleBelow = negligibleBelow
    }

    /// Both values are below `negligibleBelow`.
    public var isNegligible: Bool {
        guard let floor = negligibleBelow else { return false }
        return abs(before) < floor && abs(after) < floor
    }

    /// (after - before) / |before|; `nil` when before is 0.
    public var relativeChange: Double? {
        before == 0 ? nil : (after - before) / abs(before)
    }
}

/// The thresholds of the evidence check. Defaults are documented on each field.
public struct EvidenceThresholds: Sendable, Codable, Equatable {
    /// The app metric must differ with p below this (Mann-Whitney U). The default is 0.05.
    public var alpha: Double = 0.05
    /// ... and its statistic must change by at least this fraction. The default is 0.10 (10 %).
    public var minimumAppChange: Double = 0.10
    /// The mechanism must change by at least this fraction of its before value (or from 0 to
    /// above `absoluteFloor`) in the app metric's direction. The default is 0.20 (20 %).
    public var minimumMechanismChange: Double = 0.20
    /// A control is flat when it changes by at most this fraction (or stays within
    /// `absoluteFloor` of 0). The default is 0.10 (10 %).
    public var controlTolerance: Double = 0.10
    /// Changes smaller than this in absolute value count as no change when the before value is
    /// 0 (a counter that stays at 0 or ticks once). The default is 1e-9.
    public var absoluteFloor: Double = 1e-9

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case alpha
        case minimumAppChange = "minimum_app_change"
        case minimumMechanismChange = "minimum_mechanism_change"
        case controlTolerance = "control_tolerance"
        case absoluteFloor = "absolute_floor"
    }
}

/// The outcome of the evidence standard for one interference or mitigation.
public struct Verdict: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// The app metric moved significantly, the mechanism moved with it and every control
        /// stayed flat.
        case supported
        /// The app metric moved significantly but the mechanism did not move with it.
        case notSupported = "not_supported"
        /// The app metric did not move significantly, or a control moved too (an alternative
        /// explanation is not ruled out).
        case inconclusive
    }

    public var outcome: Outcome
    public var app: String
    public var appBefore: Double
    public var appAfter: Double
    /// after / before of the app statistic; `nil` when before is 0.
    public var appRatio: Double?
    public var pValue: Double
    public var mechanism: MetricChange
    public var mechanismMoved: Bool
    public var controls: [MetricChange]
    /// The names of the controls that did not stay flat.
    public var controlsMoved: [String]
    /// One sentence with the numbers, e.g. "TTFT p99 rose 3.1x (412 -> 1280 ms, p < 0.001) while
    /// cgroup.cpu.throttled_usec rose 0 -> 8.2 s; control psi.io.some_total stayed flat (+2 %)".
    public var text: String

    private enum CodingKeys: String, CodingKey {
        case outcome, app, mechanism, controls, text
        case appBefore = "app_before"
        case appAfter = "app_after"
        case appRatio = "app_ratio"
        case pValue = "p_value"
        case mechanismMoved = "mechanism_moved"
        case controlsMoved = "controls_moved"
    }
}
