import Foundation
import MetricCatalog
import Testing
import TestSupport

/// docs/metrics.md and the recipes agree with the catalogue.
@Suite struct CatalogueDocsTests {
    @Test func docsTableIsTheCatalogue() throws {
        let path = TestPaths.root.appendingPathComponent("docs/metrics.md").path
        let document = try String(contentsOfFile: path, encoding: .utf8)
        let table = try #require(
            MetricCatalog.documentTable(in: document), "docs/metrics.md lacks the lines \(MetricCatalog.tableBegin) ..."
        )
        let expected = MetricCatalog.markdownTable()
        let difference = zip(table.split(separator: "\n"), expected.split(separator: "\n")).first { $0 != $1 }
        let hint = difference.map { "docs: \($0.0), catalogue: \($0.1)" } ?? "rows added or removed"
        let matches = table == expected  // not inside #expect, which would print both tables
        #expect(
            matches,
            """
            docs/metrics.md's table differs from the catalogue (\(hint)); \
            run `swift run inferlab metrics --update docs/metrics.md`
            """)
    }

    @Test func updatingATableReplacesOnlyTheLinesBetweenTheMarkers() throws {
        let document =
            "# Title\n\nProse.\n\n\(MetricCatalog.tableBegin)\n| old |\n\(MetricCatalog.tableEnd)\n\nMore prose.\n"
        let updated = try #require(MetricCatalog.updatingTable(in: document))
        #expect(updated.hasPrefix("# Title\n\nProse.\n\n\(MetricCatalog.tableBegin)\n| name | unit |"))
        #expect(updated.hasSuffix("|\n\(MetricCatalog.tableEnd)\n\nMore prose.\n"))
        #expect(MetricCatalog.documentTable(in: updated) == MetricCatalog.markdownTable())
        #expect(MetricCatalog.updatingTable(in: updated) == updated)
        #expect(MetricCatalog.updatingTable(in: "no markers") == nil)
        #expect(MetricCatalog.markdownTable().split(separator: "\n").count == MetricCatalog.all.count + 2)
    }

    @Test func plainListingIsAligned() {
        let lines = MetricCatalog.textTable().split(separator: "\n")
        #expect(lines.count == MetricCatalog.all.count + 1)
        let labelColumn = lines[0].range(of: "label")!.lowerBound.utf16Offset(in: lines[0])
        for (line, metric) in zip(lines.dropFirst(), MetricCatalog.all) {
            #expect(line.hasPrefix(metric.name + " "))
            #expect(line.dropFirst(labelColumn).hasPrefix(metric.label), "\(line)")
        }
    }

    /// The evidence names of every recipe in experiments/ are catalogue names (an unknown name
    /// used to read no samples at all, silently).
    @Test func recipesNameCatalogueMetrics() throws {
        let directory = TestPaths.root.appendingPathComponent("experiments")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        var checked = 0
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                for field in ["app", "mechanism", "control"] {
                    guard let names = Self.list(field, in: String(line)) else { continue }
                    for name in names {
                        checked += 1
                        let known =
                            field == "app" ? MetricCatalog.appMetric(name) != nil : MetricCatalog.osMetric(name) != nil
                        #expect(known, "\(file): \(field) names \(name), which is no catalogue metric")
                    }
                }
            }
        }
        #expect(checked >= 20, "found the evidence blocks")
    }

    /// The names of a flow list `field: [a, b]` on one line.
    static func list(_ field: String, in line: String) -> [String]? {
        guard let start = line.range(of: "\(field): ["),
            let end = line.range(of: "]", range: start.upperBound..<line.endIndex)
        else { return nil }
        return line[start.upperBound..<end.lowerBound].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }
}
