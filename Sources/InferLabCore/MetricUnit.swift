import Foundation

/// The unit a metric is measured in, so verdicts and tables print readable figures.
public enum MetricUnit: String, Sendable, Codable, CaseIterable {
    case seconds = "s"
    case milliseconds = "ms"
    case microseconds = "us"
    case nanoseconds = "ns"
    case bytes
    case count
    /// Events per second (faults, requests, tokens).
    case perSecond = "per_s"
    /// Time stalled or waiting per second of wall time (PSI, throttling).
    case microsecondsPerSecond = "us_per_s"
    case millisecondsPerSecond = "ms_per_s"
    /// Megabytes (10^6 bytes) per second, as iostat prints them.
    case megabytesPerSecond = "mb_per_s"
    case percent
    /// A share from 0 to 1 (printed as a percentage).
    case fraction
    case cores
    case none

    /// The unit as an axis or column label: `ms`, `µs/s`, `MB/s`; empty for plain counts.
    public var symbol: String {
        switch self {
        case .seconds: "s"
        case .milliseconds: "ms"
        case .microseconds: "µs"
        case .nanoseconds: "ns"
        case .bytes: "B"
        case .count, .none: ""
        case .perSecond: "/s"
        case .microsecondsPerSecond: "µs/s"
        case .millisecondsPerSecond: "ms/s"
        case .megabytesPerSecond: "MB/s"
        case .percent, .fraction: "%"
        case .cores: "cores"
        }
    }

    /// A short human-readable figure: `412 ms`, `8.2 s`, `1.5 GiB`, `12.3k`.
    public func format(_ value: Double) -> String {
        if value == 0 { return "0" }  // "0 -> 8.2 s" reads better than "0 ms -> 8.2 s"
        switch self {
        case .seconds: return MetricUnit.milliseconds.format(value * 1000)
        case .nanoseconds: return MetricUnit.milliseconds.format(value / 1e6)
        case .microseconds:
            // OS counters (throttled_usec, PSI totals) read best in seconds once they reach one.
            if abs(value) >= 1e6 { return "\(Self.number(value / 1e6)) s" }
            return MetricUnit.milliseconds.format(value / 1e3)
        case .milliseconds:
            if abs(value) >= 10_000 { return "\(Self.number(value / 1000)) s" }
            return "\(Self.number(value)) ms"
        case .bytes:
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var scaled = value
            var index = 0
            while abs(scaled) >= 1024 && index < units.count - 1 {
                scaled /= 1024
                index += 1
            }
            return "\(Self.number(scaled)) \(units[index])"
        case .count, .none:
            if abs(value) >= 1e6 { return "\(Self.number(value / 1e6))M" }
            if abs(value) >= 1e4 { return "\(Self.number(value / 1e3))k" }
            return Self.number(value)
        case .perSecond: return "\(Self.number(value))/s"
        case .microsecondsPerSecond, .millisecondsPerSecond, .megabytesPerSecond:
            return "\(Self.number(value)) \(symbol)"
        case .percent: return "\(Self.number(value)) %"
        case .fraction: return MetricUnit.percent.format(value * 100)
        case .cores: return "\(Self.number(value)) cores"
        }
    }

    /// Three significant figures, no exponent, trailing zeros dropped (0 -> "0", 3.14159 -> "3.14",
    /// 1234.5 -> "1235").
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "inf" : "-inf") }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        let decimals: Int
        if magnitude >= 100 {
            decimals = 0
        } else if magnitude >= 10 {
            decimals = 1
        } else if magnitude >= 1 {
            decimals = 2
        } else {
            decimals = min(6, 2 - Int(log10(magnitude).rounded(.down)))
        }
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
