/// Several series over one time axis, stacked as aligned panels (RSS, majflt/s, throttled
/// us/s, PSI ...), with a last panel of request latencies at their completion times so a spike
/// lines up with its cause.
public struct TimelineChart: Sendable, Codable, Equatable {
    public var title: String
    /// The shared x axis label. The default is "time since trial start (s)".
    public var xLabel: String
    public var panels: [PointSeries]
    /// Request latencies: x = completion time, y = latency.
    public var requestMarkers: PointSeries?

    public init(
        title: String, xLabel: String = "time since trial start (s)", panels: [PointSeries],
        requestMarkers: PointSeries? = nil
    ) {
        self.title = title
        self.xLabel = xLabel
        self.panels = panels
        self.requestMarkers = requestMarkers
    }

    public func svg() -> String {
        let rows = panels + (requestMarkers.map { [$0] } ?? [])
        let panelHeight = 88.0
        let gap = 22.0
        let height = 44 + Double(max(rows.count, 1)) * (panelHeight + gap) + 44
        var canvas = SVGCanvas(width: 720, height: height, marginLeft: 72)
        let allX = rows.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        guard !allX.isEmpty else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let x = LinearScale(values: allX, range: (canvas.left, canvas.right), includeZero: true)
        canvas.text(canvas.left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111")
        for (index, row) in rows.enumerated() {
            let top = 44 + Double(index) * (panelHeight + gap)
            let bottom = top + panelHeight
            let isLast = index == rows.count - 1
            let isMarkers = requestMarkers != nil && isLast
            let values = row.points.map(\.y)
            let y = LinearScale(values: values.isEmpty ? [0, 1] : values, range: (bottom, top + 4), includeZero: true)
            let label = row.unit.isEmpty ? row.name : "\(row.name) (\(row.unit))"
            for tick in y.ticks(2) {
                canvas.line(canvas.left, y.map(tick), canvas.right, y.map(tick), stroke: "#ececec")
                canvas.text(
                    canvas.left - 6, y.map(tick) + 4, ChartFormat.tick(tick), anchor: "end", size: 10, fill: "#555")
            }
            canvas.line(canvas.left, bottom, canvas.right, bottom, stroke: "#999")
            canvas.line(canvas.left, top, canvas.left, bottom, stroke: "#999")
            canvas.text(
                canvas.left + 2, top - 4, label, anchor: "start", size: 11, weight: "600", fill: SVGCanvas.color(index))
            let color = SVGCanvas.color(index)
            if isMarkers {
                for point in thinned(row.points, limit: 4000) {
                    canvas.line(x.map(point.x), bottom, x.map(point.x), y.map(point.y), stroke: color, width: 1)
                    canvas.circle(x.map(point.x), y.map(point.y), radius: 2, fill: color, opacity: 0.8)
                }
            } else {
                let sorted = row.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
                canvas.polyline(
                    thinned(sorted, limit: 1500).map { (x.map($0.x), y.map($0.y)) }, stroke: color, width: 1.5)
            }
            if isLast {
                for tick in x.ticks(6) {
                    canvas.line(x.map(tick), bottom, x.map(tick), bottom + 4, stroke: "#666")
                    canvas.text(x.map(tick), bottom + 17, ChartFormat.tick(tick), size: 11, fill: "#555")
                }
                canvas.text((canvas.left + canvas.right) / 2, bottom + 36, xLabel, size: 12)
            }
        }
        return canvas.render(label: title)
    }
}
