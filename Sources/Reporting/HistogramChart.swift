import Foundation

/// A histogram of one sample, with its p50 and p99 marked.
public struct HistogramChart: Sendable, Codable, Equatable {
    public var title: String
    public var xLabel: String
    public var values: [Double]
    /// The number of bins. The default is the Freedman-Diaconis choice, between 8 and 60.
    public var bins: Int?

    public init(title: String, xLabel: String, values: [Double], bins: Int? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.values = values
        self.bins = bins
    }

    /// Bin counts over [low, high); the last bin includes `high`.
    static func counts(_ values: [Double], bins: Int, low: Double, high: Double) -> [Int] {
        var counts = [Int](repeating: 0, count: bins)
        let width = (high - low) / Double(bins)
        for value in values {
            let index = width > 0 ? Int((value - low) / width) : 0
            counts[min(max(index, 0), bins - 1)] += 1
        }
        return counts
    }

    func binCount(_ sorted: [Double]) -> Int {
        if let bins { return max(bins, 1) }
        guard let q1 = Percentiles.of(sorted, 25), let q3 = Percentiles.of(sorted, 75), let low = sorted.first,
            let high = sorted.last, high > low
        else { return 1 }
        let width = 2 * (q3 - q1) / cbrt(Double(sorted.count))
        guard width > 0 else { return 20 }
        return min(60, max(8, Int(((high - low) / width).rounded(.up))))
    }

    public func svg() -> String {
        var canvas = SVGCanvas(width: 720, height: 320)
        let sorted = values.filter(\.isFinite).sorted()
        guard let low = sorted.first, let high = sorted.last else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let bins = binCount(sorted)
        let top = high > low ? high : low + 1
        let counts = Self.counts(sorted, bins: bins, low: low, high: top)
        let x = LinearScale(values: [low, top], range: (canvas.left, canvas.right))
        let y = LinearScale(
            values: [0, Double(counts.max() ?? 1)], range: (canvas.bottom, canvas.top), includeZero: true)
        canvas.frame(title: title, x: x, y: y, xLabel: xLabel, yLabel: "count")
        let width = (top - low) / Double(bins)
        for (index, count) in counts.enumerated() where count > 0 {
            let x0 = x.map(low + Double(index) * width)
            let x1 = x.map(low + Double(index + 1) * width)
            let from = ChartFormat.tick(low + Double(index) * width)
            let to = ChartFormat.tick(low + Double(index + 1) * width)
            canvas.rect(
                x0 + 0.5, y.map(Double(count)), x1 - x0 - 1, y.map(0) - y.map(Double(count)), fill: SVGCanvas.color(0),
                title: "\(from)–\(to): \(count)")
        }
        for (label, p) in [("p50", 50.0), ("p99", 99.0)] {
            guard let value = Percentiles.of(sorted, p) else { continue }
            canvas.line(x.map(value), canvas.top, x.map(value), canvas.bottom, stroke: SVGCanvas.color(1), dash: "4 3")
            canvas.text(
                x.map(value) + 3, canvas.top + 10, "\(label) \(ChartFormat.tick(value))", anchor: "start", size: 10,
                fill: "#a33")
        }
        return canvas.render(label: title)
    }
}

/// Nearest-rank percentiles (the project's definition).
enum Percentiles {
    static func of(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        if p <= 0 { return sorted[0] }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
