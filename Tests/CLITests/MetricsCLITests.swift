import Foundation
import Testing
import TestSupport

@Suite struct MetricsCLITests {
    @Test func jsonIsAnArrayOfMetricsWithTheirKeys() throws {
        let result = try runInferLab(["metrics", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        for metric in metrics {
            for key in ["name", "label", "unit", "kind", "source", "aggregate", "description"] {
                #expect(metric[key] is String, "\(metric["name"] ?? "?") lacks \(key)")
            }
        }
        let names = metrics.compactMap { $0["name"] as? String }
        #expect(names.contains("ttft") && names.contains("cgroup.cpu.throttled_usec"))
        let throttled = try #require(metrics.first { $0["name"] as? String == "cgroup.cpu.throttled_usec" })
        #expect(throttled["unit"] as? String == "us")
        #expect(throttled["kind"] as? String == "counter")
        #expect(throttled["source"] as? String == "cgroup")
    }

    @Test func plainAndMarkdownListTheSameMetrics() throws {
        let plain = try runInferLab(["metrics"])
        let markdown = try runInferLab(["metrics", "--markdown"])
        #expect(plain.status == 0 && markdown.status == 0, "\(plain.stderr)\(markdown.stderr)")
        #expect(plain.stdout.hasPrefix("name "))
        #expect(markdown.stdout.hasPrefix("| name | unit | kind | source |"))
        for name in ["ttft", "process.majflt", "psi.io.some_total", "file.resident_fraction"] {
            #expect(plain.stdout.contains("\n\(name) "), "\(name)")
            #expect(markdown.stdout.contains("| `\(name)` |"), "\(name)")
        }
    }

    @Test func updateRewritesTheGeneratedTableOfACopyOfTheDocs() throws {
        let docs = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let stale = docs.replacingOccurrences(of: "| `ttft` |", with: "| `stale` |")
        #expect(stale != docs)
        let directory = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("metrics.md")
        try stale.write(to: file, atomically: true, encoding: .utf8)
        let result = try runInferLab(["metrics", "--update", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8) == docs, "prose kept, table regenerated")
        let missing = try runInferLab(["metrics", "--update", directory.appendingPathComponent("none.md").path])
        #expect(missing.status != 0 && missing.stderr.hasPrefix("error: "))
        try "no table here\n".write(to: file, atomically: true, encoding: .utf8)
        let unmarked = try runInferLab(["metrics", "--update", file.path])
        #expect(unmarked.status == 2 && unmarked.stderr.contains("has no generated table"), "\(unmarked.stderr)")
    }
}
