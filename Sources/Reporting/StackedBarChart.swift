/// Horizontal bars, one per row (a level), each split into segments that add up to it (the
/// components of a latency), with a legend of the segments.
public struct StackedBarChart: Sendable, Codable, Equatable {
    public struct Bar: Sendable, Codable, Equatable {
        public var label: String
        /// One value per segment name, in `segments` order.
        public var values: [Double]

        public init(label: String, values: [Double]) {
            self.label = label
            self.values = values
        }
    }

    public var title: String
    public var xLabel: String
    public var segments: [String]
    public var bars: [Bar]

    public init(title: String, xLabel: String, segments: [String], bars: [Bar]) {
        self.title = title
        self.xLabel = xLabel
        self.segments = segments
        self.bars = bars
    }

    /// More colours than the charts' palette: a latency has up to fifteen components.
    static let palette = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#332288", "#882255",
        "#44AA99", "#999933", "#AA4499", "#661100", "#6699CC", "#888888",
    ]

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    public func svg() -> String {
        let rowHeight = 26.0
        let legendRows = Double((segments.count + 2) / 3)
        let labelWidth = min(260, Double(bars.map(\.label.count).max() ?? 0) * 6.5 + 16)
        var canvas = SVGCanvas(
            width: 760, height: 36 + Double(bars.count) * rowHeight + 48 + legendRows * 16 + 8,
            marginLeft: labelWidth, marginBottom: 48 + legendRows * 16 + 8)
        let totals = bars.map { $0.values.reduce(0) { $0 + max(0, $1) } }
        guard let largest = totals.max(), largest > 0 else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let x = LinearScale(values: [0, largest], range: (canvas.left, canvas.right), includeZero: true)
        canvas.text(canvas.left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111")
        for tick in x.ticks(6) {
            let px = x.map(tick)
            canvas.line(px, canvas.top, px, canvas.bottom, stroke: "#e3e3e3")
            canvas.text(px, canvas.bottom + 17, ChartFormat.tick(tick), size: 11, fill: "#555")
        }
        canvas.line(canvas.left, canvas.bottom, canvas.right, canvas.bottom, stroke: "#666")
        canvas.text((canvas.left + canvas.right) / 2, canvas.bottom + 36, xLabel, size: 12, fill: "#333")
        for (row, bar) in bars.enumerated() {
            let top = canvas.top + Double(row) * rowHeight + 4
            canvas.text(canvas.left - 6, top + 13, bar.label, anchor: "end", size: 11, fill: "#222")
            var start = 0.0
            for (index, value) in bar.values.enumerated() where value > 0 {
                let x0 = x.map(start)
                let x1 = x.map(start + value)
                let share = totals[row] > 0 ? 100 * value / totals[row] : 0
                canvas.rect(
                    x0, top, x1 - x0, rowHeight - 8, fill: Self.color(index),
                    title: "\(bar.label): \(segments[index]) \(ChartFormat.tick(value)) (\(Int(share.rounded())) %)")
                start += value
            }
        }
        // The legend under the axis: three names a row.
        for (index, name) in segments.enumerated() {
            let column = Double(index % 3)
            let row = Double(index / 3)
            let lx = canvas.left + column * 200
            let ly = canvas.bottom + 52 + row * 16
            canvas.rect(lx, ly - 9, 12, 10, fill: Self.color(index))
            canvas.text(lx + 16, ly, name, anchor: "start", size: 11, fill: "#222")
        }
        return canvas.render(label: title)
    }
}
