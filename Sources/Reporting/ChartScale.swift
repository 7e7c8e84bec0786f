import Foundation

/// A linear map from data values to pixels, with "nice" tick values (1, 2, 5 x 10^k).
struct LinearScale {
    var domainLow: Double
    var domainHigh: Double
    var rangeLow: Double
    var rangeHigh: Double

    /// A scale over `values` (padded to nice bounds); `includeZero` starts the axis at 0 for
    /// non-negative data.
    init(values: [Double], range: (Double, Double), includeZero: Bool = false) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if includeZero { low = min(low, 0); high = max(high, 0) }
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = Self.niceStep((high - low) / 5)
        domainLow = (low / step).rounded(.down) * step
        domainHigh = (high / step).rounded(.up) * step
        rangeLow = range.0
        rangeHigh = range.1
    }

    func map(_ value: Double) -> Double {
        let span = domainHigh - domainLow
        guard span != 0, value.isFinite else { return rangeLow }
        return rangeLow + (value - domainLow) / span * (rangeHigh - rangeLow)
    }

    /// About `count` tick values inside the domain.
    func ticks(_ count: Int = 5) -> [Double] {
        let step = Self.niceStep((domainHigh - domainLow) / Double(max(count, 1)))
        var ticks: [Double] = []
        var value = (domainLow / step).rounded(.up) * step
        while value <= domainHigh + step * 1e-9 && ticks.count < 50 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let exponent = (log10(raw)).rounded(.down)
        let base = pow(10, exponent)
        let fraction = raw / base
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * base
    }
}

/// Number formatting for axes and tables.
enum ChartFormat {
    /// A tick label: up to 4 significant digits, no exponent for ordinary magnitudes.
    static func tick(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 { return trimmed(String(format: "%.3g", value / 1e6)) + "M" }
        if magnitude >= 1e4 { return trimmed(String(format: "%.4g", value / 1e3)) + "k" }
        if magnitude >= 1 { return trimmed(String(format: "%.4g", value)) }
        return trimmed(String(format: "%.3g", value))
    }

    /// A table cell: 3 significant figures, thousands kept whole (1280, 12.4, 0.532).
    static func cell(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        let magnitude = abs(value)
        if magnitude >= 100 { return String(format: "%.0f", value) }
        if magnitude >= 10 { return String(format: "%.1f", value) }
        if magnitude >= 1 { return String(format: "%.2f", value) }
        if magnitude == 0 { return "0" }
        return String(format: "%.3g", value)
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains("."), !text.contains("e") else { return text }
        var text = text
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A coordinate with one decimal, as SVG wants it.
    static func px(_ value: Double) -> String {
        String(format: "%.1f", value.isFinite ? value : 0)
    }
}
