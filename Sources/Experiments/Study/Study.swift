public import ExperimentFile
public import Foundation
import InferLabCore
import Reporting
import RunStore

/// A study: the recipes that answer its questions, run (or resumed) into one directory, and one
/// report that answers them (`inferlab study NAME`, docs in the README's "Studies").
public enum Study: String, Sendable, CaseIterable {
    case boundedRealtime = "bounded-realtime"
    case serverProfile = "server-profile"
    case batching
    case paging

    /// The recipes in `experiments/`, in run order.
    public var recipes: [String] {
        switch self {
        case .boundedRealtime: ["bounded-realtime"]
        case .serverProfile: ["server-profile", "cpu-quota", "memory-limit", "mitigations"]
        case .batching: ["batching"]
        case .paging: ["paging"]
        }
    }

    public var title: String {
        switch self {
        case .boundedRealtime: "Bounded real-time generation on this machine"
        case .serverProfile: "Profiling an inference server: load, context, cold start, cgroups, mitigations"
        case .batching: "Batching strategies on one frozen corpus"
        case .paging: "Memory and paging: how a model that does not fit is read"
        }
    }

    /// The study's directory: `results/studies/NAME/`, one run directory per recipe inside.
    public func directory(root: URL) -> URL {
        root.appendingPathComponent("results/studies/\(rawValue)")
    }
}

/// One recipe of a study, as run: its spec, its directory, whether it already ended.
public struct StudyRecipe: Sendable {
    public var name: String
    public var spec: ExperimentSpec
    public var specText: String
    public var directory: URL

    /// The plan's estimate in seconds, at the spec's repetitions and (with `precision:`) at its cap.
    public func estimate(root: URL) -> (low: Double, high: Double) {
        guard let plan = try? ExperimentPlan.make(spec, repositoryRoot: root) else { return (0, 0) }
        let seconds = plan.estimatedSeconds
        guard let precision = spec.precision else { return (seconds, seconds) }
        return (seconds, seconds * Double(precision.maxRepetitions) / Double(max(spec.repetitions, 1)))
    }

    /// The run's experiment row, when the recipe has run.
    var experiment: ExperimentRecord? {
        let path = directory.appendingPathComponent("results.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return (try? RunStore(path: path).readExperiment()) ?? nil
    }

    /// Whether the run directory holds a run that ended (complete), so the study reuses it.
    public var isComplete: Bool { experiment?.status == .complete }

    public var hasStarted: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("results.sqlite").path)
    }
}

extension Study {
    /// The study's recipes read from `root/experiments/`.
    public func load(root: URL) throws -> [StudyRecipe] {
        try recipes.map { name in
            let file = root.appendingPathComponent("experiments/\(name).yaml")
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                throw RunError("cannot read the recipe \(file.path)", code: .badArgument)
            }
            return StudyRecipe(
                name: name, spec: try ExperimentSpec.parse(yaml: text), specText: text,
                directory: directory(root: root).appendingPathComponent(name))
        }
    }

    /// Writes `report.html` and `report.md` of the study from its recipes' runs; returns the HTML path.
    @discardableResult
    public func writeReport(
        root: URL, recipes: [StudyRecipe], wallSeconds: [String: Double], pricePerHour: Double? = nil,
        sloMilliseconds: Double? = nil
    ) throws -> URL {
        let model = try StudyReport.model(
            self, root: root, recipes: recipes, wallSeconds: wallSeconds, pricePerHour: pricePerHour,
            sloMilliseconds: sloMilliseconds)
        let directory = directory(root: root)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let html = directory.appendingPathComponent("report.html")
        try HTMLReport.render(model).write(to: html, atomically: true, encoding: .utf8)
        try MarkdownSummary.render(model).replacingOccurrences(
            of: "`report.html` next to this file",
            with: "`report.html` next to this file (and each recipe's own report in its directory)"
        ).write(
            to: directory.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        return html
    }

    /// The wall time of each recipe's run, from its experiment row (start to finish).
    public static func wallSeconds(_ recipes: [StudyRecipe]) -> [String: Double] {
        var seconds: [String: Double] = [:]
        let formatter = ISO8601DateFormatter()
        for recipe in recipes {
            guard let experiment = recipe.experiment, let start = formatter.date(from: experiment.startedAt),
                let finished = experiment.finishedAt.flatMap(formatter.date(from:))
            else { continue }
            seconds[recipe.name] = finished.timeIntervalSince(start)
        }
        return seconds
    }
}
