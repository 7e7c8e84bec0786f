import Analysis
import ArgumentParser
import Experiments
import Foundation
import InferLabCore
import Reporting

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Why each request took as long as it did: its latency split into causes, with the evidence.",
        discussion: """
            Joins the client's record of each request, the engine's steps and the probe's OS counters \
            on the one clock (docs/explain.md). Without --request or --slowest it explains the 5 slowest.
            """)

    @Argument(help: "The run directory.") var run: String
    @Option(help: "Only this trial (its index in the run).") var trial: Int?
    @Option(help: "Only the request with this id (the server's id, as the report and --json print it).")
    var request: String?
    @Option(help: "The K slowest requests.") var slowest: Int?
    @Flag(help: "Print JSON: {\"requests\": [...]}, each with e2e_ms, components and top_cause.") var json = false
    @Flag(help: "Also split every inter-token gap (always on with --request).") var tokens = false
    @Option(help: "Write the run as Chrome trace-event JSON to this file (opens in Perfetto and chrome://tracing).")
    var trace: String?

    func validate() throws {
        if request != nil && slowest != nil { throw ValidationError("give --request or --slowest, not both") }
        if let slowest, slowest < 1 { throw ValidationError("--slowest must be at least 1 (got \(slowest))") }
    }

    func run() async throws {
        try await reportingErrors {
            let explanation = try RunExplanation(directory: URL(fileURLWithPath: run))
            if let trial, !explanation.trials.contains(where: { $0.index == trial }) {
                throw UsageError(
                    "trial \(trial) has no requests in \(run); trials with requests: "
                        + explanation.trials.map { String($0.index) }.joined(separator: ", "))
            }
            if let trace {
                let parts = explanation.trials.filter { trial == nil || $0.index == trial }.map {
                    ChromeTrace.Trial(index: $0.index, label: $0.label, origin: $0.origin, explainer: $0.explainer)
                }
                try ChromeTrace.json(parts).write(to: URL(fileURLWithPath: trace))
                if !json && request == nil && slowest == nil {
                    print(trace)
                    return
                }
            }
            let selection: RunExplanation.Selection =
                request.map { .request($0) } ?? .slowest(slowest ?? 5)
            let requests = explanation.explain(selection, trial: trial, tokens: tokens || request != nil)
            if let request, requests.isEmpty { throw UsageError("no successful request \(request) in \(run)") }
            if json { return try printJSON(Output(requests: requests)) }
            for explained in requests { print(Self.text(explained)) }
        }
    }

    struct Output: Encodable { var requests: [RequestExplanation] }

    /// One request as a table.
    static func text(_ explained: RequestExplanation) -> String {
        var lines = [
            "trial \(explained.trial.map(String.init) ?? "-") request \(explained.id): "
                + "E2E \(MetricUnit.milliseconds.format(explained.e2eMilliseconds))"
                + (explained.ttftMilliseconds.map { ", TTFT \(MetricUnit.milliseconds.format($0))" } ?? ""),
            "  " + explained.sentence,
        ]
        let width = Component.allCases.map(\.rawValue.count).max() ?? 0
        for (component, value) in explained.components.ordered {
            let share = explained.e2eMilliseconds > 0 ? 100 * value / explained.e2eMilliseconds : 0
            let name = component.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append(
                "  \(name)  \(String(format: "%10.1f ms %5.1f %%", value, share))"
                    + (explained.evidence[component].map { "  \($0)" } ?? ""))
        }
        if let tokens = explained.tokens, !tokens.isEmpty {
            lines.append("  slowest inter-token gaps:")
            for token in tokens.sorted(by: { $0.gapMilliseconds > $1.gapMilliseconds }).prefix(5) {
                let causes = token.components.ordered.sorted { $0.milliseconds > $1.milliseconds }.prefix(3).map {
                    "\($0.component.rawValue) \(String(format: "%.1f", $0.milliseconds))"
                }
                lines.append(
                    "    token \(token.index): \(String(format: "%.1f", token.gapMilliseconds)) ms  "
                        + causes.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
