/// Small multiples: one chart per level, side by side on the same scale, so a reader compares
/// shapes across levels at a glance (Tufte). Each panel is a full chart drawn at its own size and
/// scaled down by the grid.
public struct SmallMultiples: Sendable, Codable, Equatable {
    public var title: String
    public var panels: [Chart]
    /// Panels per row. The default is 3.
    public var columns: Int

    public init(title: String, panels: [Chart], columns: Int = 3) {
        self.title = title
        self.panels = panels
        self.columns = columns
    }

    public func svg() -> String {
        let columns = max(1, min(self.columns, panels.count))
        var html =
            "<div class=\"multiples\" style=\"display:grid;grid-template-columns:repeat(\(columns),1fr);gap:8px\" "
        html += "role=\"group\" aria-label=\"\(HTML.escape(title))\">\n"
        for panel in panels { html += "<div>\(panel.svg())</div>\n" }
        return html + "</div>"
    }
}
