import Analysis
import ExperimentFile
public import Foundation
import InferLabCore
import MetricCatalog
public import Profiling
import Reporting
import RunStore

/// Two runs side by side: each level present in both, with ratios B / A.
public enum RunComparison {
    public struct Row: Sendable, Codable {
        public var level: String
        public var metric: String
        public var a: Double?
        public var b: Double?
        public var ratio: Double? { a.flatMap { a in b.map { a == 0 ? .nan : $0 / a } } }
    }

    public static func compare(_ a: URL, _ b: URL) throws -> (nameA: String, nameB: String, rows: [Row]) {
        let dataA = try RunData.load(a.appendingPathComponent("results.sqlite").path)
        let dataB = try RunData.load(b.appendingPathComponent("results.sqlite").path)
        let levelsA = RunReport.build(dataA, spec: try? ExperimentSpec.parse(yaml: dataA.specYAML)).levels
        let levelsB = RunReport.build(dataB, spec: try? ExperimentSpec.parse(yaml: dataB.specYAML)).levels
        var rows: [Row] = []
        let labels =
            levelsA.map(\.label) + levelsB.map(\.label).filter { label in !levelsA.contains { $0.label == label } }
        for label in labels {
            let x = levelsA.first { $0.label == label }
            let y = levelsB.first { $0.label == label }
            for (metric, statistic) in compared {
                let name = metric.name + (statistic.map { " \($0.rawValue)" } ?? "") + " (\(metric.unit.rawValue))"
                rows.append(
                    Row(
                        level: label, metric: name, a: x.flatMap { value($0, metric, statistic) },
                        b: y.flatMap { value($0, metric, statistic) }))
            }
        }
        return (dataA.name, dataB.name, rows)
    }

    /// One level's profile in A against B: the functions whose share changed most, and the
    /// differential flame graph (B's widths, coloured by the change from A).
    public struct ProfileDifference: Sendable, Codable {
        public var level: String
        public var changes: [DifferentialFlameGraph.Change]
        /// Where the differential flame graph was written.
        public var flameGraph: String

        enum CodingKeys: String, CodingKey {
            case level, changes
            case flameGraph = "flame_graph"
        }
    }

    /// For each level profiled in both runs: the change from A to B, with its SVG written into
    /// `directory` (`flamegraph-diff-LEVEL.svg`).
    public static func profileDifferences(_ a: URL, _ b: URL, directory: URL) throws -> [ProfileDifference] {
        func levels(_ run: URL) throws -> [RunReport.ProfiledLevel] {
            let data = try RunData.load(run.appendingPathComponent("results.sqlite").path)
            let profiles = try RunStore(path: run.appendingPathComponent("results.sqlite").path).readProfiles()
            return RunReport.profiledLevels(data, profiles).filter { $0.folded.total > 0 }
        }
        let levelsA = try levels(a)
        let levelsB = try levels(b)
        var differences: [ProfileDifference] = []
        for before in levelsA {
            guard let after = levelsB.first(where: { $0.label == before.label }) else { continue }
            let safe = before.label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
            let file = directory.appendingPathComponent("flamegraph-diff-\(String(safe)).svg")
            let svg = DifferentialFlameGraph.svg(
                before: before.folded, after: after.folded,
                title: "\(before.label): \(a.lastPathComponent) -> \(b.lastPathComponent)",
                beforeLabel: a.lastPathComponent, afterLabel: b.lastPathComponent)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try svg.write(to: file, atomically: true, encoding: .utf8)
            differences.append(
                ProfileDifference(
                    level: before.label,
                    changes: DifferentialFlameGraph.changes(before: before.folded, after: after.folded, limit: 10),
                    flameGraph: file.path))
        }
        return differences
    }

    /// What `compare` shows for each level: catalogue metrics, with a statistic for distributions.
    static let compared: [(Metric, SummaryStatistic?)] = [
        (.ttft, .p50), (.ttft, .p99), (.itl, .p99), (.e2e, .p99), (.tokensPerSecond, nil), (.errors, nil),
    ]

    /// A level's figure of one compared metric.
    static func value(_ level: LevelSummary, _ metric: Metric, _ statistic: SummaryStatistic?) -> Double? {
        let summary: PercentileSummary? =
            switch metric {
            case .ttft: level.ttft
            case .itl: level.itl
            case .tpot: level.tpot
            case .e2e: level.e2e
            default: nil
            }
        if let summary, let statistic { return summary.value(of: statistic) }
        switch metric {
        case .tokensPerSecond: return level.tokensPerSecond
        case .errors: return Double(level.errors)
        default: return nil
        }
    }

    /// A plain-text table.
    public static func table(nameA: String, nameB: String, rows: [Row]) -> String {
        func cell(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        var lines = ["level\tmetric\tA (\(nameA))\tB (\(nameB))\tB/A"]
        for row in rows {
            lines.append(
                "\(row.level)\t\(row.metric)\t\(cell(row.a))\t\(cell(row.b))\t\(row.ratio.map { String(format: "%.2fx", $0) } ?? "-")"
            )
        }
        let columns = lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let widths = (0..<5).map { index in columns.map { $0[index].count }.max() ?? 0 }
        return columns.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
