/// Empirical cumulative distribution functions, one line per series: the fraction of requests
/// at or below each latency. Tails show as lines reaching 1.0 late.
public struct CDFChart: Sendable, Codable, Equatable {
    public var title: String
    public var xLabel: String
    public var series: [ValueSeries]

    public init(title: String, xLabel: String, series: [ValueSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.series = series
    }

    public func svg() -> String {
        var canvas = SVGCanvas(width: 720, height: 360)
        let all = series.flatMap(\.values).filter(\.isFinite)
        guard !all.isEmpty else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let x = LinearScale(values: all, range: (canvas.left, canvas.right), includeZero: true)
        let y = LinearScale(values: [0, 1], range: (canvas.bottom, canvas.top))
        canvas.frame(title: title, x: x, y: y, xLabel: xLabel, yLabel: "fraction of requests")
        for (index, entry) in series.enumerated() {
            let sorted = entry.values.filter(\.isFinite).sorted()
            guard !sorted.isEmpty else { continue }
            let n = Double(sorted.count)
            // A step function: at each value the fraction jumps to rank / n.
            var steps: [(Double, Double)] = [(x.map(sorted[0]), y.map(0))]
            for (rank, value) in sorted.enumerated() {
                steps.append((x.map(value), y.map(Double(rank) / n)))
                steps.append((x.map(value), y.map(Double(rank + 1) / n)))
            }
            canvas.polyline(thinned(steps, limit: 600), stroke: SVGCanvas.color(index))
        }
        canvas.line(canvas.left, y.map(0.99), canvas.right, y.map(0.99), stroke: "#999", dash: "4 3")
        canvas.text(canvas.right - 2, y.map(0.99) - 3, "p99", anchor: "end", size: 10, fill: "#777")
        canvas.legend(series.map(\.name), bottom: true)
        return canvas.render(label: title)
    }
}
