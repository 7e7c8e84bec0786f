import Foundation

/// An offline SVG flame graph of folded stacks: roots at the bottom, one rectangle per frame
/// as wide as its samples, the share and samples on hover, and a search (click "Search") that
/// highlights matching frames and says what share they hold. No network, no external script.
public enum FlameGraph {
    /// One node of the merged call tree.
    final class Node {
        let name: String
        var samples = 0
        var children: [String: Node] = [:]
        init(name: String) { self.name = name }

        /// The node at `path` (frame names below this one), if those frames were sampled.
        func descendant(_ path: ArraySlice<String>) -> Node? {
            guard let first = path.first else { return self }
            return children[first]?.descendant(path.dropFirst())
        }
    }

    static func tree(_ folded: FoldedStacks) -> Node {
        let root = Node(name: "all")
        for (stack, count) in folded.counts {
            root.samples += count
            var node = root
            for frame in stack {
                let child = node.children[frame] ?? Node(name: frame)
                node.children[frame] = child
                child.samples += count
                node = child
            }
        }
        return root
    }

    /// The SVG document.
    public static func svg(_ folded: FoldedStacks, title: String, width: Double = 1200) -> String {
        let root = tree(folded)
        let total = Double(max(root.samples, 1))
        return render(
            root, title: title, footer: "\(root.samples) samples; hover a frame for its share", width: width
        ) { node, _ in
            let share = 100 * Double(node.samples) / total
            let hue = node.name.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xFFFF } % 55
            return Look(
                tooltip: "\(node.name) (\(node.samples) samples, \(String(format: "%.2f", share)) %)",
                fill: "hsl(\(10 + hue),85%,60%)")
        }
    }

    /// How one frame is drawn: its hover text (unescaped) and its SVG fill.
    struct Look {
        var tooltip: String
        var fill: String
    }

    /// One item of a legend row: a colour and what it means, or (without a colour) a note.
    struct Swatch {
        var fill: String?
        var text: String
    }

    /// Lays out the tree under `root` (roots at the bottom, widths by samples, children in name
    /// order, frames narrower than 0.3 px left out) and writes the document: title, search, an
    /// optional legend row under the title, the frames as `look` draws each (it gets the node
    /// and the frame names from below the root to it), and a footer line.
    static func render(
        _ root: Node, title: String, legend: [Swatch] = [], footer: String, width: Double,
        look: (Node, [String]) -> Look
    ) -> String {
        let rowHeight = 16.0
        func depth(_ node: Node) -> Int { 1 + (node.children.values.map(depth).max() ?? 0) }
        let levels = depth(root)
        let legendHeight = legend.isEmpty ? 0.0 : 20
        let height = Double(levels) * rowHeight + 60 + legendHeight
        let total = Double(max(root.samples, 1))
        var rects: [String] = []
        func draw(_ node: Node, path: [String], x: Double, level: Int) {
            let w = width * Double(node.samples) / total
            guard w >= 0.3 else { return }
            let y = height - 24 - Double(level + 1) * rowHeight
            let name = escape(node.name)
            let drawn = look(node, path)
            // Cut before escaping: a cut through `&lt;` would leave the document malformed.
            let label = w > 40 ? escape(String(node.name.prefix(Int(w / 7)))) : ""
            rects.append(
                "<g class=\"f\"><title>\(escape(drawn.tooltip))</title>"
                    + "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"\(fmt(rowHeight - 1))\" "
                    + "fill=\"\(drawn.fill)\" data-n=\"\(node.samples)\" data-f=\"\(name)\"/>"
                    + "<text x=\"\(fmt(x + 3))\" y=\"\(fmt(y + 11.5))\">\(label)</text></g>")
            var offset = x
            for child in node.children.values.sorted(by: { $0.name < $1.name }) {
                draw(child, path: path + [child.name], x: offset, level: level + 1)
                offset += width * Double(child.samples) / total
            }
        }
        draw(root, path: [], x: 0, level: 0)
        // The search matches the frame's name (data-f), and adds up the samples of the matching
        // frames that are not inside another matching one.
        let script = """
            function search(){var q=prompt('Search frames (a regular expression)');if(q===null)return;\
            var re=new RegExp(q),hit=0,seen=[];var gs=document.querySelectorAll('g.f');\
            for(var i=0;i<gs.length;i++){var r=gs[i].querySelector('rect');\
            var m=q!==''&&re.test(r.getAttribute('data-f'));\
            r.setAttribute('stroke',m?'#00f':'none');r.setAttribute('stroke-width',m?'2':'0');}\
            for(var i=0;i<gs.length;i++){var r=gs[i].querySelector('rect');if(r.getAttribute('stroke')!=='#00f')continue;\
            var x=+r.getAttribute('x'),w=+r.getAttribute('width');\
            if(!seen.some(function(s){return x>=s[0]&&x+w<=s[1]+0.01})){seen.push([x,x+w]);hit+=+r.getAttribute('data-n');}}\
            document.getElementById('matched').textContent=q===''?'':'matched: '+(100*hit/\(Int(total))).toFixed(2)+' %';}
            """
        var swatches: [String] = []
        var legendX = 6.0
        for swatch in legend {
            if let fill = swatch.fill {
                swatches.append(
                    "<rect x=\"\(fmt(legendX))\" y=\"27\" width=\"12\" height=\"12\" fill=\"\(fill)\" stroke=\"#999\"/>"
                )
                legendX += 16
            }
            swatches.append("<text x=\"\(fmt(legendX))\" y=\"37\">\(escape(swatch.text))</text>")
            legendX += 6.7 * Double(swatch.text.count) + 14
        }
        return """
            <?xml version="1.0" standalone="no"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="monospace" font-size="11">
            <style>text{pointer-events:none;fill:#000} g.f:hover rect{stroke:#000;stroke-width:0.5}</style>
            <script><![CDATA[\(script)]]></script>
            <rect width="100%" height="100%" fill="#fdfdf6"/>
            <text x="6" y="18" font-size="14" font-weight="600">\(escape(title))</text>
            <text x="\(Int(width) - 60)" y="18" style="cursor:pointer;pointer-events:all;fill:#06c" onclick="search()">Search</text>
            <text id="matched" x="\(Int(width) - 260)" y="18"></text>
            \(swatches.joined(separator: "\n"))
            <text x="6" y="\(Int(height) - 6)">\(escape(footer))</text>
            \(rects.joined(separator: "\n"))
            </svg>

            """
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Text or an attribute value for XML: the markup characters escaped, and the control
    /// characters XML 1.0 does not allow (perf prints whatever bytes a symbol holds) replaced.
    static func escape(_ text: String) -> String {
        let allowed = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" ? "?" : $0 }))
        return allowed.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
