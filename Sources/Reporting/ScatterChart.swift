public import Analysis
import InferLabCore

/// Points with their least-squares line, e.g. per-token latency against token position; the
/// fit's slope, its interval and R^2 are printed in the chart.
public struct ScatterChart: Sendable, Codable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var points: [ChartPoint]
    /// The fitted line; computed from the points when absent.
    public var fit: LinearFit?

    public init(title: String, xLabel: String, yLabel: String, points: [ChartPoint], fit: LinearFit? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.fit = fit
    }

    public func svg() -> String {
        var canvas = SVGCanvas(width: 720, height: 340)
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let x = LinearScale(values: finite.map(\.x), range: (canvas.left, canvas.right))
        let y = LinearScale(values: finite.map(\.y), range: (canvas.bottom, canvas.top), includeZero: true)
        canvas.frame(title: title, x: x, y: y, xLabel: xLabel, yLabel: yLabel)
        for point in thinned(finite, limit: 3000) {
            canvas.circle(x.map(point.x), y.map(point.y), radius: 2, fill: SVGCanvas.color(0), opacity: 0.45)
        }
        let line = fit ?? LinearFit.fit(x: finite.map(\.x), y: finite.map(\.y))
        if let line {
            let x0 = x.domainLow
            let x1 = x.domainHigh
            canvas.line(
                x.map(x0), y.map(line.predict(x0)), x.map(x1), y.map(line.predict(x1)), stroke: SVGCanvas.color(1),
                width: 2)
            var label = "slope \(MetricUnit.number(line.slope))"
            if let interval = line.slopeInterval {
                label += " [\(MetricUnit.number(interval.lower)), \(MetricUnit.number(interval.upper))]"
            }
            label += ", R² \(MetricUnit.number(line.rSquared))"
            canvas.text(canvas.right, 20, label, anchor: "end", size: 12, fill: SVGCanvas.color(1))
        }
        return canvas.render(label: title)
    }
}
