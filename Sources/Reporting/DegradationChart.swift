import Analysis
import InferLabCore

/// A metric against a swept variable (latency against background load, tokens/s against
/// concurrency): one point per level with its interval, drawn as bars or a line, and the
/// least-squares line with R^2 when the variable is numeric.
public struct DegradationChart: Sendable, Codable, Equatable {
    public struct Level: Sendable, Codable, Equatable {
        /// The level's label on the axis (`0 %`, `none`, `continuous`).
        public var label: String
        /// The numeric value of the swept variable, when it has one (used for the fit).
        public var x: Double?
        public var y: Double
        public var lower: Double?
        public var upper: Double?

        public init(label: String, x: Double? = nil, y: Double, lower: Double? = nil, upper: Double? = nil) {
            self.label = label
            self.x = x
            self.y = y
            self.lower = lower
            self.upper = upper
        }
    }

    public enum Style: String, Sendable, Codable {
        case bar, line
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var levels: [Level]
    /// The default is `line`.
    public var style: Style

    public init(title: String, xLabel: String, yLabel: String, levels: [Level], style: Style = .line) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.levels = levels
        self.style = style
    }

    public func svg() -> String {
        var canvas = SVGCanvas(width: 720, height: 340)
        guard !levels.isEmpty else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let numeric = levels.allSatisfy { $0.x != nil } && style == .line
        let positions = numeric ? levels.map { $0.x! } : levels.indices.map(Double.init)
        let xs = numeric ? positions : [-0.5, Double(levels.count) - 0.5]
        var x = LinearScale(values: xs, range: (canvas.left + 10, canvas.right - 10))
        if !numeric {
            // Categories sit at 0, 1, 2 ... with half a slot of margin; no rounding of the domain.
            x.domainLow = -0.5
            x.domainHigh = Double(levels.count) - 0.5
        }
        let ys = levels.flatMap { [$0.y, $0.lower ?? $0.y, $0.upper ?? $0.y] }
        let y = LinearScale(values: ys, range: (canvas.bottom, canvas.top), includeZero: true)
        canvas.frame(title: title, x: x, y: y, xLabel: xLabel, yLabel: yLabel, showXAxis: numeric)
        if !numeric {
            for (index, level) in levels.enumerated() {
                canvas.text(x.map(Double(index)), canvas.bottom + 17, level.label, size: 11, fill: "#555")
            }
            canvas.text((canvas.left + canvas.right) / 2, canvas.bottom + 36, xLabel, size: 12)
        }
        let color = SVGCanvas.color(0)
        let barWidth = min(60, (canvas.right - canvas.left) / Double(levels.count) * 0.6)
        var linePoints: [(Double, Double)] = []
        for (index, level) in levels.enumerated() {
            let px = x.map(positions[index])
            if style == .bar || !numeric {
                canvas.rect(
                    px - barWidth / 2, y.map(level.y), barWidth, y.map(0) - y.map(level.y), fill: color, opacity: 0.75,
                    title: "\(level.label): \(ChartFormat.tick(level.y))")
            } else {
                canvas.circle(px, y.map(level.y), radius: 4, fill: color, opacity: 1)
                linePoints.append((px, y.map(level.y)))
            }
            if let lower = level.lower, let upper = level.upper {
                canvas.line(px, y.map(lower), px, y.map(upper), stroke: "#333", width: 1.2)
                canvas.line(px - 5, y.map(lower), px + 5, y.map(lower), stroke: "#333", width: 1.2)
                canvas.line(px - 5, y.map(upper), px + 5, y.map(upper), stroke: "#333", width: 1.2)
            }
        }
        canvas.polyline(linePoints, stroke: color, width: 1.5)
        if numeric, levels.count >= 3, let fit = LinearFit.fit(x: positions, y: levels.map(\.y)) {
            let x0 = positions.min()!
            let x1 = positions.max()!
            canvas.line(
                x.map(x0), y.map(fit.predict(x0)), x.map(x1), y.map(fit.predict(x1)), stroke: SVGCanvas.color(1),
                width: 1.5, dash: "6 4")
            canvas.text(
                canvas.right, 20,
                "linear fit R² \(MetricUnit.number(fit.rSquared)), slope \(MetricUnit.number(fit.slope))",
                anchor: "end", size: 12, fill: SVGCanvas.color(1))
        }
        return canvas.render(label: title)
    }
}
