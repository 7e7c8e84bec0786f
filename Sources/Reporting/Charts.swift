/// A point of a chart in data units.
public struct ChartPoint: Sendable, Codable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A named set of raw values (one level's TTFTs, for example).
public struct ValueSeries: Sendable, Codable, Equatable {
    public var name: String
    public var values: [Double]

    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// A named set of points (one probe metric over time, for example).
public struct PointSeries: Sendable, Codable, Equatable {
    public var name: String
    public var unit: String
    public var points: [ChartPoint]

    public init(name: String, unit: String = "", points: [ChartPoint]) {
        self.name = name
        self.unit = unit
        self.points = points
    }
}

/// One chart of a report: its inputs as plain values, drawn to inline SVG by `svg()`.
public enum Chart: Sendable, Codable, Equatable {
    /// Empirical CDFs, one line per series (latency CDF per level).
    case cdf(CDFChart)
    /// A histogram of one sample (per-token latency).
    case histogram(HistogramChart)
    /// Points with their least-squares line (latency against token position).
    case scatter(ScatterChart)
    /// Several series over one shared time axis, stacked, with request-latency markers.
    case timeline(TimelineChart)
    /// A metric against a swept variable, with intervals and a fitted line.
    case degradation(DegradationChart)
    /// Bars split into the parts that add up to them (where a latency went, per level).
    case stackedBars(StackedBarChart)
    /// One request's phases and the engine's steps on a time axis, OS tracks beneath.
    case lanes(LaneChart)
    /// An SVG file beside the report with scripts of its own (a flame graph: hover and search).
    case file(FileChart)
    /// Rows of shaded cells over time (re-reads and residency per layer).
    case heatMap(HeatMapChart)
    /// Reads at their file offset over time, coloured by layer.
    case fileOffsets(FileOffsetChart)
    /// Latency percentiles against throughput, one point per load level (a sweep's Pareto view).
    case pareto(ParetoChart)
    /// One chart per level in a grid (small multiples).
    case grid(SmallMultiples)

    public var title: String {
        switch self {
        case .cdf(let chart): chart.title
        case .histogram(let chart): chart.title
        case .scatter(let chart): chart.title
        case .timeline(let chart): chart.title
        case .degradation(let chart): chart.title
        case .stackedBars(let chart): chart.title
        case .lanes(let chart): chart.title
        case .file(let chart): chart.title
        case .heatMap(let chart): chart.title
        case .fileOffsets(let chart): chart.title
        case .pareto(let chart): chart.title
        case .grid(let chart): chart.title
        }
    }

    /// The chart as an `<svg>` element.
    public func svg() -> String {
        switch self {
        case .cdf(let chart): chart.svg()
        case .histogram(let chart): chart.svg()
        case .scatter(let chart): chart.svg()
        case .timeline(let chart): chart.svg()
        case .degradation(let chart): chart.svg()
        case .stackedBars(let chart): chart.svg()
        case .lanes(let chart): chart.svg()
        case .file(let chart): chart.svg()
        case .heatMap(let chart): chart.svg()
        case .fileOffsets(let chart): chart.svg()
        case .pareto(let chart): chart.svg()
        case .grid(let chart): chart.svg()
        }
    }
}

/// An SVG file next to the report, shown in an `<object>` so that its own scripts run (an
/// inline copy would share ids and scripts with the report's other charts).
public struct FileChart: Sendable, Codable, Equatable {
    public var title: String
    /// Relative to the report.
    public var path: String
    public var height: Int

    public init(title: String, path: String, height: Int = 420) {
        self.title = title
        self.path = path
        self.height = height
    }

    public func svg() -> String {
        let path = HTML.escape(self.path)
        return "<object data=\"\(path)\" type=\"image/svg+xml\" style=\"width:100%;height:\(height)px\" "
            + "aria-label=\"\(HTML.escape(title))\"></object>\n<p><a href=\"\(path)\">\(HTML.escape(title))</a></p>"
    }
}

/// At most `limit` evenly spaced elements of `items`, keeping the first and the last.
public func thinned<T>(_ items: [T], limit: Int) -> [T] {
    guard items.count > limit, limit >= 2 else { return items }
    let step = Double(items.count - 1) / Double(limit - 1)
    return (0..<limit).map { items[Int((Double($0) * step).rounded())] }
}
