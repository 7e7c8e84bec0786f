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
        let rowHeight = 16.0
        func depth(_ node: Node) -> Int { 1 + (node.children.values.map(depth).max() ?? 0) }
        let levels = depth(root)
        let height = Double(levels) * rowHeight + 60
        let total = Double(max(root.samples, 1))
        var rects: [String] = []
        func draw(_ node: Node, x: Double, level: Int) {
            let w = width * Double(node.samples) / total
            guard w >= 0.3 else { return }
            let y = height - 24 - Double(level + 1) * rowHeight
            let share = 100 * Double(node.samples) / total
            let name = escape(node.name)
            let hue = node.name.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xFFFF } % 55
            let label = w > 40 ? String(name.prefix(Int(w / 7))) : ""
            rects.append(
                "<g class=\"f\"><title>\(name) (\(node.samples) samples, \(String(format: "%.2f", share)) %)</title>"
                    + "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"\(fmt(rowHeight - 1))\" "
                    + "fill=\"hsl(\(10 + hue),85%,60%)\" data-n=\"\(node.samples)\"/>"
                    + "<text x=\"\(fmt(x + 3))\" y=\"\(fmt(y + 11.5))\">\(label)</text></g>")
            var offset = x
            for child in node.children.values.sorted(by: { $0.name < $1.name }) {
                draw(child, x: offset, level: level + 1)
                offset += width * Double(child.samples) / total
            }
        }
        draw(root, x: 0, level: 0)
        let script = """
            function search(){var q=prompt('Search frames (a regular expression)');if(q===null)return;\
            var re=new RegExp(q),hit=0,seen=[];var gs=document.querySelectorAll('g.f');\
            for(var i=0;i<gs.length;i++){var t=gs[i].querySelector('title').textContent;\
            var r=gs[i].querySelector('rect');var m=q!==''&&re.test(t.replace(/ \\(.*$/,''));\
            r.setAttribute('stroke',m?'#00f':'none');r.setAttribute('stroke-width',m?'2':'0');}\
            for(var i=0;i<gs.length;i++){var r=gs[i].querySelector('rect');if(r.getAttribute('stroke')!=='#00f')continue;\
            var x=+r.getAttribute('x'),w=+r.getAttribute('width');\
            if(!seen.some(function(s){return x>=s[0]&&x+w<=s[1]+0.01})){seen.push([x,x+w]);hit+=+r.getAttribute('data-n');}}\
            document.getElementById('matched').textContent=q===''?'':'matched: '+(100*hit/\(root.samples)).toFixed(2)+' %';}
            """
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
            <text x="6" y="\(Int(height) - 6)">\(root.samples) samples; hover a frame for its share</text>
            \(rects.joined(separator: "\n"))
            </svg>

            """
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
