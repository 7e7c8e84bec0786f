/// A minimal SVG writer with the frame every chart shares: title, plot area, axes with ticks,
/// grid lines, axis labels and a legend. Charts draw their marks in data space through the
/// two scales.
struct SVGCanvas {
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    let width: Double
    let height: Double
    var body = ""
    /// The plot area.
    let left: Double
    let right: Double
    let top: Double
    let bottom: Double

    init(
        width: Double, height: Double, marginLeft: Double = 64, marginRight: Double = 20, marginTop: Double = 36,
        marginBottom: Double = 48
    ) {
        self.width = width
        self.height = height
        left = marginLeft
        right = width - marginRight
        top = marginTop
        bottom = height - marginBottom
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    mutating func add(_ element: String) {
        body += element
        body += "\n"
    }

    mutating func text(
        _ x: Double, _ y: Double, _ content: String, anchor: String = "middle", size: Int = 12,
        weight: String = "normal",
        fill: String = "#333", rotate: Double? = nil
    ) {
        let transform =
            rotate.map { " transform=\"rotate(\(ChartFormat.px($0)) \(ChartFormat.px(x)) \(ChartFormat.px(y)))\"" }
            ?? ""
        add(
            "<text x=\"\(ChartFormat.px(x))\" y=\"\(ChartFormat.px(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" "
                + "font-weight=\"\(weight)\" fill=\"\(fill)\"\(transform)>\(HTML.escape(content))</text>")
    }

    mutating func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333", width: Double = 1,
        dash: String? = nil
    ) {
        let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        add(
            "<line x1=\"\(ChartFormat.px(x1))\" y1=\"\(ChartFormat.px(y1))\" x2=\"\(ChartFormat.px(x2))\" y2=\"\(ChartFormat.px(y2))\" "
                + "stroke=\"\(stroke)\" stroke-width=\"\(width)\"\(dashAttribute)/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.8) {
        guard points.count >= 2 else { return }
        let list = points.map { "\(ChartFormat.px($0.0)),\(ChartFormat.px($0.1))" }.joined(separator: " ")
        add(
            "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(width)\" stroke-linejoin=\"round\"/>"
        )
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double = 2.5, fill: String, opacity: Double = 0.7) {
        add(
            "<circle cx=\"\(ChartFormat.px(x))\" cy=\"\(ChartFormat.px(y))\" r=\"\(ChartFormat.px(radius))\" fill=\"\(fill)\" "
                + "fill-opacity=\"\(opacity)\"/>")
    }

    mutating func rect(
        _ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, opacity: Double = 0.85, title: String? = nil
    ) {
        let tooltip = title.map { "<title>\(HTML.escape($0))</title>" } ?? ""
        add(
            "<rect x=\"\(ChartFormat.px(x))\" y=\"\(ChartFormat.px(y))\" width=\"\(ChartFormat.px(max(w, 0)))\" "
                + "height=\"\(ChartFormat.px(max(h, 0)))\" fill=\"\(fill)\" fill-opacity=\"\(opacity)\">\(tooltip)</rect>"
        )
    }

    /// Title, grid, ticks and axis labels of a plot area spanning (`left`...`right`, `top`...`bottom`).
    mutating func frame(
        title: String, x: LinearScale, y: LinearScale, xLabel: String, yLabel: String, plotTop: Double? = nil,
        plotBottom: Double? = nil, showXAxis: Bool = true
    ) {
        let top = plotTop ?? self.top
        let bottom = plotBottom ?? self.bottom
        if !title.isEmpty { text(left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111") }
        for tick in y.ticks(4) {
            let py = y.map(tick)
            line(left, py, right, py, stroke: "#e3e3e3")
            text(left - 6, py + 4, ChartFormat.tick(tick), anchor: "end", size: 11, fill: "#555")
        }
        if showXAxis {
            for tick in x.ticks(6) {
                let px = x.map(tick)
                line(px, bottom, px, bottom + 4, stroke: "#666")
                text(px, bottom + 17, ChartFormat.tick(tick), size: 11, fill: "#555")
            }
            text((left + right) / 2, bottom + 36, xLabel, size: 12, fill: "#333")
        }
        line(left, bottom, right, bottom, stroke: "#666")
        line(left, top, left, bottom, stroke: "#666")
        text(left - 48, (top + bottom) / 2, yLabel, size: 12, fill: "#333", rotate: -90)
    }

    /// A legend in the top-right corner of the plot area.
    mutating func legend(_ names: [String], bottom atBottom: Bool = false) {
        guard names.count > 1 || (names.count == 1 && !names[0].isEmpty) else { return }
        let rowHeight = 16.0
        let boxWidth = min(260, Double(names.map(\.count).max() ?? 0) * 7 + 34)
        let x = right - boxWidth - 4
        let boxHeight = Double(names.count) * rowHeight + 8
        let top = atBottom ? bottom - boxHeight - 4 : self.top
        add(
            "<rect x=\"\(ChartFormat.px(x))\" y=\"\(ChartFormat.px(top + 4))\" width=\"\(ChartFormat.px(boxWidth))\" "
                + "height=\"\(ChartFormat.px(boxHeight))\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ddd\"/>")
        for (index, name) in names.enumerated() {
            let y = top + 16 + Double(index) * rowHeight
            line(x + 8, y - 4, x + 24, y - 4, stroke: Self.color(index), width: 3)
            text(x + 30, y, name, anchor: "start", size: 11, fill: "#222")
        }
    }

    mutating func noData(_ title: String) {
        text(left, 20, title, anchor: "start", size: 14, weight: "600", fill: "#111")
        text(width / 2, height / 2, "no data", size: 13, fill: "#888")
    }

    /// The finished `<svg>` element, sized by attributes (and scaled down by CSS on small screens).
    func render(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(label))\" "
            + "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n" + body + "</svg>"
    }
}
