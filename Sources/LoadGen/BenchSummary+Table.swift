import Foundation
import InferLabCore

extension BenchSummary {
    /// The summary as a plain-text table, as `inferlab bench` prints it.
    public func table(title: String? = nil, pricePerHour: Double? = nil) -> String {
        var lines: [String] = []
        if let title { lines.append(title) }
        let failedText =
            requests.failed > 0
            ? " (failed: \(errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"
            : ""
        let cancelledText = requests.cancelled > 0 ? ", \(requests.cancelled) hung up by the workload" : ""
        lines.append(
            "requests: \(requests.completed) completed, \(requests.failed) failed\(failedText)\(cancelledText)")
        lines.append(pad("metric (ms)", 24) + ["p50", "p90", "p95", "p99", "max"].map { lpad($0, 10) }.joined())
        let rows: [(String, PercentileSummary)] = [
            ("TTFT", ttftMs), ("ITL", itlMs), ("TPOT", tpotMs), ("E2E", e2eMs), ("client lag", lagMs),
            ("E2E from t_sched", e2eFromScheduledMs),
        ]
        for (name, p) in rows {
            let cells =
                p.count == 0 ? Array(repeating: "-", count: 5) : [p.p50, p.p90, p.p95, p.p99, p.max].map { f($0) }
            lines.append(pad(name, 24) + cells.map { lpad($0, 10) }.joined())
        }
        lines.append(
            "throughput: \(f(outputTokensPerS)) output tok/s, \(f(requestsPerS)) req/s, goodput \(f(goodputRequestsPerS)) req/s"
                + (slo.isEmpty ? "" : " (slo \(sloText))")
                + (dollarsPerMillionTokens(pricePerHour: pricePerHour).map {
                    String(format: ", $%.3f per M output tokens", $0)
                } ?? ""))
        lines.append(
            "window: \(f(durationS)) s, \(outputTokens) output tokens (counted from \(tokenCountSource)), peak in flight \(peakInFlight)"
        )
        return lines.joined(separator: "\n")
    }

    /// US dollars per million output tokens at `pricePerHour` (nil without a price or tokens).
    public func dollarsPerMillionTokens(pricePerHour: Double?) -> Double? {
        guard let pricePerHour, pricePerHour > 0, outputTokensPerS > 0 else { return nil }
        return pricePerHour / (outputTokensPerS * 3600) * 1e6
    }

    private var sloText: String {
        var parts: [String] = []
        if let v = slo.ttftMs { parts.append("ttft<=\(f(v))ms") }
        if let v = slo.tpotMs { parts.append("tpot<=\(f(v))ms") }
        if let v = slo.e2eMs { parts.append("e2e<=\(f(v))ms") }
        return parts.joined(separator: ",")
    }

    private func f(_ v: Double) -> String { String(format: v >= 100 ? "%.1f" : "%.2f", v) }
    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }
    private func lpad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : String(repeating: " ", count: n - s.count) + s
    }
}
