import Foundation

/// Rows of cells over a shared x axis, each cell's shade its value: re-reads per layer over a
/// generation, the resident share of each layer over time. Rows are drawn top to bottom in order.
public struct HeatMapChart: Sendable, Codable, Equatable {
    public var title: String
    public var xLabel: String
    /// The value's name in the scale ("pages re-read", "resident share").
    public var valueLabel: String
    public var rows: [String]
    /// The x of each column's left edge and the column width, in x units.
    public var columnStart: Double
    public var columnWidth: Double
    /// `values[row][column]`; `nil` is no data.
    public var values: [[Double?]]
    /// The value the darkest shade stands for (the maximum when absent).
    public var maximum: Double?

    public init(
        title: String, xLabel: String, valueLabel: String, rows: [String], columnStart: Double, columnWidth: Double,
        values: [[Double?]], maximum: Double? = nil
    ) {
        self.title = title
        self.xLabel = xLabel
        self.valueLabel = valueLabel
        self.rows = rows
        self.columnStart = columnStart
        self.columnWidth = columnWidth
        self.values = values
        self.maximum = maximum
    }

    public func svg() -> String {
        let rowHeight = rows.count > 40 ? 6.0 : rows.count > 20 ? 9.0 : 14.0
        let height = max(200, 36 + 60 + Double(rows.count) * rowHeight)
        var canvas = SVGCanvas(width: 720, height: height, marginLeft: 96, marginRight: 90)
        let columns = values.map(\.count).max() ?? 0
        guard !rows.isEmpty, columns > 0 else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        let top = canvas.top
        let bottom = top + Double(rows.count) * rowHeight
        let x = LinearScale(
            values: [columnStart, columnStart + Double(columns) * columnWidth], range: (canvas.left, canvas.right))
        let high = maximum ?? values.flatMap { $0.compactMap { $0 } }.max() ?? 1
        canvas.text(canvas.left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111")
        for (row, name) in rows.enumerated() {
            let y = top + Double(row) * rowHeight
            if rows.count <= 40 || row % 2 == 0 {
                canvas.text(canvas.left - 6, y + rowHeight - 2, name, anchor: "end", size: rowHeight < 9 ? 8 : 10)
            }
            for (column, value) in values[row].enumerated() {
                guard let value else { continue }
                let x0 = x.map(columnStart + Double(column) * columnWidth)
                let x1 = x.map(columnStart + Double(column + 1) * columnWidth)
                let share = high > 0 ? min(max(value / high, 0), 1) : 0
                canvas.rect(
                    x0, y, max(x1 - x0, 0.5), rowHeight - 0.5, fill: Self.shade(share), opacity: 1,
                    title: "\(name) at \(ChartFormat.tick(columnStart + Double(column) * columnWidth)): "
                        + ChartFormat.tick(value))
            }
        }
        for tick in x.ticks(6) {
            let px = x.map(tick)
            canvas.line(px, bottom, px, bottom + 4, stroke: "#666")
            canvas.text(px, bottom + 17, ChartFormat.tick(tick), size: 11, fill: "#555")
        }
        canvas.text((canvas.left + canvas.right) / 2, bottom + 36, xLabel, size: 12)
        // The scale: five shades with their values.
        for step in 0...4 {
            let share = Double(step) / 4
            let y = top + Double(4 - step) * 18
            canvas.rect(canvas.right + 10, y, 14, 14, fill: Self.shade(share), opacity: 1)
            canvas.text(canvas.right + 28, y + 11, ChartFormat.tick(share * high), anchor: "start", size: 10)
        }
        canvas.text(canvas.right + 10, top + 5 * 18 + 12, valueLabel, anchor: "start", size: 10)
        return canvas.render(label: title)
    }

    /// White to the palette's blue, then to dark red for the top of the scale.
    static func shade(_ share: Double) -> String {
        let (r, g, b): (Double, Double, Double)
        if share < 0.75 {
            let t = share / 0.75
            (r, g, b) = (255 - t * 255, 255 - t * (255 - 114), 255 - t * (255 - 178))
        } else {
            let t = (share - 0.75) / 0.25
            (r, g, b) = (t * 160, 114 - t * 114, 178 - t * 150)
        }
        return String(format: "#%02X%02X%02X", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }
}

/// Where in a file reads landed over time (the blktrace picture): one mark per run of pages read
/// together, at its time and file offset, its height the run's length, coloured by the layer
/// it belongs to (first layer blue through last layer red).
public struct FileOffsetChart: Sendable, Codable, Equatable {
    public struct Mark: Sendable, Codable, Equatable {
        public var seconds: Double
        public var offsetMiB: Double
        public var lengthMiB: Double
        public var layer: Int

        public init(seconds: Double, offsetMiB: Double, lengthMiB: Double, layer: Int) {
            self.seconds = seconds
            self.offsetMiB = offsetMiB
            self.lengthMiB = lengthMiB
            self.layer = layer
        }
    }

    public var title: String
    public var marks: [Mark]
    public var layers: [String]
    public var fileMiB: Double
    /// A dashed vertical line (the engine ready), in seconds.
    public var marker: Double?
    public var markerLabel: String?

    public init(
        title: String, marks: [Mark], layers: [String], fileMiB: Double, marker: Double? = nil,
        markerLabel: String? = nil
    ) {
        self.title = title
        self.marks = marks
        self.layers = layers
        self.fileMiB = fileMiB
        self.marker = marker
        self.markerLabel = markerLabel
    }

    public func svg() -> String {
        var canvas = SVGCanvas(width: 720, height: 360, marginRight: 110)
        guard !marks.isEmpty else {
            canvas.noData(title)
            return canvas.render(label: title)
        }
        // A little room left of 0, so the load at the start is not under the axis.
        let last = marks.map(\.seconds).max() ?? 1
        let x = LinearScale(values: marks.map(\.seconds) + [-0.02 * max(last, 1)], range: (canvas.left, canvas.right))
        let y = LinearScale(values: [0, fileMiB], range: (canvas.bottom, canvas.top))
        canvas.frame(title: title, x: x, y: y, xLabel: "seconds since the trace started", yLabel: "file offset (MiB)")
        for mark in thinned(marks, limit: 6000) {
            let y0 = y.map(mark.offsetMiB)
            let y1 = y.map(mark.offsetMiB + mark.lengthMiB)
            let px = x.map(mark.seconds)
            canvas.line(px, y0, px, min(y1, y0 - 1.5), stroke: color(mark.layer), width: 2)
        }
        if let marker {
            canvas.line(x.map(marker), canvas.top, x.map(marker), canvas.bottom, stroke: "#444", dash: "4 3")
            if let markerLabel {
                canvas.text(x.map(marker) + 4, canvas.top + 12, markerLabel, anchor: "start", size: 10, fill: "#444")
            }
        }
        // The layer key: the first, middle and last layer's colour.
        let shown = [0, layers.count / 2, layers.count - 1].filter { $0 >= 0 && $0 < layers.count }
        for (row, layer) in Array(Set(shown)).sorted().enumerated() {
            let y = canvas.top + Double(row) * 16
            canvas.line(canvas.right + 10, y + 6, canvas.right + 26, y + 6, stroke: color(layer), width: 3)
            canvas.text(canvas.right + 30, y + 10, layers[layer], anchor: "start", size: 10)
        }
        return canvas.render(label: title)
    }

    /// Blue (first layer) through green to red (last).
    func color(_ layer: Int) -> String {
        let t = layers.count > 1 ? Double(layer) / Double(layers.count - 1) : 0
        let hue = (1 - t) * 220
        return "hsl(\(Int(hue)), 75%, 45%)"
    }
}
