import Analysis
import Foundation
import InferLabCore
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Reporting
import TestSupport
import Testing

@Suite struct ReportRenderingTests {
    @Test func htmlIsSelfContainedAndEscaped() throws {
        let html = HTMLReport.render(ReportFixtures.model())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(html.contains("cpu-quota &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(html.contains("# &lt;b&gt;not bold&lt;/b&gt;"))
        #expect(!html.contains("<b>"))
        // No external assets: the only URL is the SVG namespace.
        let urls = html.components(separatedBy: "http").count - 1
        let namespaces = html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1
        #expect(urls == namespaces)
        #expect(namespaces == 10)
        for needle in [
            "TTFT p99 rose", "p &lt; 0.001", "cgroup.cpu.throttled_usec rose 0 -&gt; 8.2 s", "4/5 pass",
            "timeout after 120 s",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", "cpu_quota=0.5", "no data",
        ] {
            #expect(html.contains(needle), "missing \(needle)")
        }
        // One table per level with p50/p95/p99/max of the four latencies.
        #expect(html.components(separatedBy: "<details open>").count - 1 == 4)
        #expect(html.components(separatedBy: "<th scope=\"row\">TPOT</th>").count - 1 == 4)
    }

    @Test func markdownSummaryHasTheTablesAndVerdicts() throws {
        let md = MarkdownSummary.render(ReportFixtures.model())
        #expect(md.hasPrefix("# cpu-quota \\<script\\>alert(1)\\</script\\> & \"quotes\"\n"))
        #expect(md.contains("- **supported**: TTFT p99 rose"))
        #expect(md.contains("| CV of per-token p99 across repetitions \\< 15 % |"))
        #expect(md.components(separatedBy: "\n| cpu\\_quota=").count - 1 == 4)
        #expect(md.contains("- model\\_sha256: `b179c95"))
    }

    @Test func chartsAreWellFormedXML() throws {
        for item in ReportFixtures.model().charts {
            let svg = item.chart.svg()
            let document = try XMLDocument(xmlString: svg)
            #expect(document.rootElement()?.name == "svg")
            #expect(svg.contains(" width=\"720\" "))
        }
    }

    /// Opens the report in headless Chromium: it must load offline, raise no console error,
    /// fetch nothing, and lay out every chart with a non-zero size.
    @Test(.timeLimit(.minutes(2))) func rendersInHeadlessChromium() throws {
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(
                where: FileManager.default.isExecutableFile)
        else {
            print(
                "SKIPPED rendersInHeadlessChromium: chromium is not installed (apt-get install -y chromium, or scripts/bootstrap --with-browser)"
            )
            return
        }
        let directory = TestPaths.temporaryDirectory("inferlab-report")
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = HTMLReport.render(ReportFixtures.model())
        try html.write(to: directory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        if let keep = ProcessInfo.processInfo.environment["INFERLAB_KEEP_REPORT"] {
            // For looking at the page by hand: INFERLAB_KEEP_REPORT=/tmp/report.html swift test ...
            try html.write(toFile: keep, atomically: true, encoding: .utf8)
        }
        // A test-only copy with a probe script first in <head>: it records errors and console
        // errors from the start, and after load writes chart sizes and resource fetches into the DOM.
        let probe = """
            <script>
            window.__errors = [];
            window.addEventListener('error', e => window.__errors.push('error: ' + (e.message || e.target && e.target.outerHTML)), true);
            const originalError = console.error;
            console.error = (...a) => { window.__errors.push('console: ' + a.join(' ')); originalError(...a); };
            window.addEventListener('load', () => {
              const sizes = [...document.querySelectorAll('svg')].map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; });
              const out = document.createElement('pre');
              out.id = 'probe';
              out.textContent = JSON.stringify({sizes, errors: window.__errors, resources: performance.getEntriesByType('resource').map(r => r.name)});
              document.body.appendChild(out);
            });
            </script>
            """
        let probed = html.replacingOccurrences(of: "<head>\n", with: "<head>\n" + probe + "\n")
        let probedURL = directory.appendingPathComponent("probed.html")
        try probed.write(to: probedURL, atomically: true, encoding: .utf8)
        let offline = [
            "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--user-data-dir=\(directory.path)/profile",
        ]
        let dump = try runProcess(
            "/usr/bin/timeout",
            ["60", chromium] + offline + ["--virtual-time-budget=3000", "--dump-dom", probedURL.absoluteString])
        #expect(dump.status == 0, "chromium failed: \(dump.stderr.suffix(2000))")
        let marker = "<pre id=\"probe\">"
        let start = try #require(dump.stdout.range(of: marker), "no probe output in the DOM dump")
        let end = try #require(dump.stdout.range(of: "</pre>", range: start.upperBound..<dump.stdout.endIndex))
        let json = String(dump.stdout[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
        struct Probe: Decodable {
            var sizes: [[Double]]
            var errors: [String]
            var resources: [String]
        }
        let result = try JSONDecoder().decode(Probe.self, from: Data(json.utf8))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.resources.isEmpty, "the page fetched \(result.resources)")
        #expect(result.sizes.count == 10)
        for (index, size) in result.sizes.enumerated() {
            #expect(size.count == 2 && size[0] > 100 && size[1] > 100, "chart \(index) has size \(size)")
        }
        // The untouched page too: Chromium's own console log must show no error.
        let plain = try runProcess(
            "/usr/bin/timeout",
            ["60", chromium] + offline + [
                "--enable-logging=stderr", "--v=0", "--dump-dom",
                directory.appendingPathComponent("report.html").absoluteString,
            ])
        #expect(plain.status == 0)
        let consoleErrors = plain.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        #expect(plain.stdout.contains("<h2>Charts</h2>"))
    }
}
