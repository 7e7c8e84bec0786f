import InferLabCore

/// Latency against throughput, one point per load level (a sweep's concurrency or rate, a rate
/// search's tries): the Pareto view load generators print. Each series is a latency percentile
/// (TTFT p99, ITL p99) on its own panel, the points joined in order of throughput and labelled
/// with their level; the knee is where latency climbs while throughput stops growing.
public struct ParetoChart: Sendable, Codable, Equatable {
    public struct Point: Sendable, Codable, Equatable {
        /// The level, e.g. `c=4` or `2 req/s`.
        public var label: String
        /// Output tokens/s.
        public var throughput: Double
        public var latencyMs: Double

        public init(label: String, throughput: Double, latencyMs: Double) {
            self.label = label
            self.throughput = throughput
            self.latencyMs = latencyMs
        }
    }

    public struct Series: Sendable, Codable, Equatable {
        public var name: String
        public var points: [Point]

        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var series: [Series]

    public init(title: String, series: [Series]) {
        self.title = title
        self.series = series
    }

    public func svg() -> String {
        let panelHeight = 250.0
        var canvas = SVGCanvas(width: 720, height: 40 + panelHeight * Double(max(1, series.count)))
        let finite = series.map { s in s.points.filter { $0.throughput.isFinite && $0.latencyMs.isFinite } }
        guard finite.contains(where: { !$0.isEmpty }) else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        canvas.text(canvas.left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111")
        let x = LinearScale(
            values: finite.flatMap { $0.map(\.throughput) }, range: (canvas.left, canvas.right), includeZero: true)
        for (index, points) in finite.enumerated() {
            let top = 40 + panelHeight * Double(index) + 10
            let bottom = top + panelHeight - 60
            let y = LinearScale(values: points.map(\.latencyMs), range: (bottom, top), includeZero: true)
            canvas.frame(
                title: "", x: x, y: y, xLabel: "output tokens/s", yLabel: "\(series[index].name) (ms)", plotTop: top,
                plotBottom: bottom)
            let color = SVGCanvas.color(index)
            let ordered = points.sorted { $0.throughput < $1.throughput }
            canvas.polyline(ordered.map { (x.map($0.throughput), y.map($0.latencyMs)) }, stroke: color)
            for point in ordered {
                canvas.circle(x.map(point.throughput), y.map(point.latencyMs), radius: 4, fill: color, opacity: 1)
                canvas.text(
                    x.map(point.throughput) + 6, y.map(point.latencyMs) - 6, point.label, anchor: "start", size: 10,
                    fill: "#444")
            }
            canvas.text(canvas.right, top + 4, series[index].name, anchor: "end", size: 12, weight: "600", fill: color)
        }
        return canvas.render(label: title)
    }
}
