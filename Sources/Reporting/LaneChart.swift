/// One request on the clock: lanes of intervals (its phases, the engine's steps) over a shared
/// time axis, with the OS tracks beneath (throttling, run-queue wait, faults), so a long phase
/// lines up with the steps and the OS events inside it.
public struct LaneChart: Sendable, Codable, Equatable {
    public struct Interval: Sendable, Codable, Equatable {
        /// Seconds from the chart's origin.
        public var start: Double
        public var end: Double
        /// Index into `kinds` (the colour and the legend entry).
        public var kind: Int
        /// The tooltip.
        public var label: String

        public init(start: Double, end: Double, kind: Int, label: String) {
            self.start = start
            self.end = end
            self.kind = kind
            self.label = label
        }
    }

    public struct Lane: Sendable, Codable, Equatable {
        public var name: String
        public var intervals: [Interval]

        public init(name: String, intervals: [Interval]) {
            self.name = name
            self.intervals = intervals
        }
    }

    public var title: String
    public var xLabel: String
    /// The names of the interval kinds, in colour order.
    public var kinds: [String]
    public var lanes: [Lane]
    /// OS series over the same axis (x in seconds from the origin).
    public var tracks: [PointSeries]

    public init(title: String, xLabel: String, kinds: [String], lanes: [Lane], tracks: [PointSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.kinds = kinds
        self.lanes = lanes
        self.tracks = tracks
    }

    public func svg() -> String {
        let laneHeight = 24.0
        let trackHeight = 46.0
        let legendRows = Double((kinds.count + 3) / 4)
        let lanesBottom = 40 + Double(lanes.count) * laneHeight
        let tracksBottom = lanesBottom + Double(tracks.count) * (trackHeight + 10)
        var canvas = SVGCanvas(
            width: 760, height: tracksBottom + 44 + legendRows * 16 + 8, marginLeft: 120,
            marginBottom: 44 + legendRows * 16 + 8)
        let ends = lanes.flatMap { $0.intervals.map(\.end) } + tracks.flatMap { $0.points.map(\.x) }
        guard let last = ends.filter(\.isFinite).max(), last > 0 else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let x = LinearScale(values: [0, last], range: (canvas.left, canvas.right), includeZero: true)
        canvas.text(canvas.left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111")
        for tick in x.ticks(6) {
            let px = x.map(tick)
            canvas.line(px, 32, px, tracksBottom, stroke: "#eee")
            canvas.text(px, tracksBottom + 17, ChartFormat.tick(tick), size: 11, fill: "#555")
        }
        canvas.text((canvas.left + canvas.right) / 2, tracksBottom + 36, xLabel, size: 12, fill: "#333")
        for (row, lane) in lanes.enumerated() {
            let top = 36 + Double(row) * laneHeight
            canvas.text(canvas.left - 6, top + 14, lane.name, anchor: "end", size: 11, fill: "#222")
            for interval in lane.intervals where interval.end > interval.start {
                let x0 = x.map(interval.start)
                canvas.rect(
                    x0, top + 2, max(0.8, x.map(interval.end) - x0), laneHeight - 6,
                    fill: StackedBarChart.color(interval.kind), title: interval.label)
            }
        }
        for (index, track) in tracks.enumerated() {
            let top = lanesBottom + 8 + Double(index) * (trackHeight + 10)
            let bottom = top + trackHeight
            let peak = max(track.points.map(\.y).max() ?? 0, 1e-9)
            canvas.line(canvas.left, bottom, canvas.right, bottom, stroke: "#999")
            canvas.text(canvas.left - 6, top + 12, track.name, anchor: "end", size: 10, fill: "#222")
            canvas.text(
                canvas.left - 6, top + 24, "max \(ChartFormat.tick(peak)) \(track.unit)", anchor: "end", size: 9,
                fill: "#666")
            // A step line: each value holds from its point to the next.
            var points: [(Double, Double)] = []
            for (position, point) in track.points.enumerated() {
                let y = bottom - trackHeight * point.y / peak
                points.append((x.map(point.x), y))
                let next = position + 1 < track.points.count ? track.points[position + 1].x : point.x
                points.append((x.map(next), y))
            }
            if !points.isEmpty { canvas.polyline(points, stroke: SVGCanvas.color(index + 1), width: 1.4) }
        }
        for (index, name) in kinds.enumerated() {
            let lx = canvas.left + Double(index % 4) * 150
            let ly = tracksBottom + 56 + Double(index / 4) * 16
            canvas.rect(lx, ly - 9, 12, 10, fill: StackedBarChart.color(index))
            canvas.text(lx + 16, ly, name, anchor: "start", size: 11, fill: "#222")
        }
        return canvas.render(label: title)
    }
}
