import InferLabCore

/// The study's taxonomy of variance (algorithmic, memory, concurrency, hardware/VM), each source
/// with its measured share of the tail of per-token latency: of the gap between the p99 and the
/// p50 inter-token gap, how much each accounts for.
///
/// The tail is the gaps at or above the p99 (at least three). A source's excess is its mean over
/// the tail minus its median over all gaps (what a typical token has of it), never below zero; its
/// share is that excess over the tail's excess (the tail's mean gap minus the median gap). The
/// sources are the explanation's components of each gap (`Explainer`), plus what only the
/// profile measures: barrier straggling from the scheduler trace (a part of the concurrency rows,
/// not added to them), who preempted the engine, steal, allocations.
public enum VarianceSources {
    /// The study's categories.
    public enum Category: String, Sendable, Codable, CaseIterable {
        case algorithmic
        case memory
        case concurrency
        case hardware = "hardware / VM"
        case other
    }

    /// One inter-token gap with its split.
    public struct Gap: Sendable {
        public var milliseconds: Double
        public var components: ComponentTimes
        /// The compute threads' straggling inside the gap's steps, when the scheduler was traced.
        public var stragglingMs: Double?

        public init(milliseconds: Double, components: ComponentTimes, stragglingMs: Double? = nil) {
            self.milliseconds = milliseconds
            self.components = components
            self.stragglingMs = stragglingMs
        }
    }

    /// What the profile measured over the level, beside the gaps.
    public struct Context: Sendable {
        /// Share of CPU time the hypervisor took (`/proc/stat` steal), when measured.
        public var steal: Double?
        /// Who preempted the engine's compute threads: kind and milliseconds.
        public var preemptedBy: [(kind: String, ms: Double)]
        /// Allocations per generated token in steady decode, when measured.
        public var allocationsPerToken: Double?
        /// Whether the machine exposes CPU frequency (cpufreq).
        public var frequencyExposed: Bool

        public init(
            steal: Double? = nil, preemptedBy: [(kind: String, ms: Double)] = [], allocationsPerToken: Double? = nil,
            frequencyExposed: Bool = false
        ) {
            self.steal = steal
            self.preemptedBy = preemptedBy
            self.allocationsPerToken = allocationsPerToken
            self.frequencyExposed = frequencyExposed
        }
    }

    /// One row of the taxonomy.
    public struct Row: Sendable, Codable, Equatable {
        public var category: Category
        public var source: String
        /// Of the tail's excess; `nil` when it is not measurable here or not a share.
        public var share: Double?
        /// The mean excess per tail gap, in milliseconds.
        public var excessMs: Double?
        /// How it was measured, or why it could not be.
        public var note: String

        enum CodingKeys: String, CodingKey {
            case category, source, share, note
            case excessMs = "excess_ms"
        }
    }

    /// The taxonomy of one level.
    public struct Table: Sendable, Codable, Equatable {
        public var p50Ms: Double
        public var p99Ms: Double
        public var tailGaps: Int
        public var rows: [Row]
        /// The categories by their summed share, largest first (`other` last).
        public var ranking: [Category]

        enum CodingKeys: String, CodingKey {
            case rows, ranking
            case p50Ms = "p50_ms"
            case p99Ms = "p99_ms"
            case tailGaps = "tail_gaps"
        }
    }

    /// The sources of `gaps`' tail; `nil` with fewer than 20 gaps.
    public static func table(_ gaps: [Gap], context: Context = Context()) -> Table? {
        guard gaps.count >= 20 else { return nil }
        let sorted = gaps.map(\.milliseconds).sorted()
        guard let p50 = Percentile.of(sorted, 50), let p99 = Percentile.of(sorted, 99) else { return nil }
        var tail = gaps.filter { $0.milliseconds >= p99 }
        if tail.count < 3 { tail = Array(gaps.sorted { $0.milliseconds > $1.milliseconds }.prefix(3)) }
        let tailExcess = max(0, mean(tail.map(\.milliseconds)) - p50)

        func excess(_ value: (Gap) -> Double) -> Double {
            let all = gaps.map(value).sorted()
            let typical = Percentile.of(all, 50) ?? 0
            return max(0, mean(tail.map(value)) - typical)
        }
        func row(_ category: Category, _ source: String, _ components: [Component], note: String) -> Row {
            let value = excess { gap in components.reduce(0) { $0 + gap.components[$1] } }
            return Row(
                category: category, source: source, share: tailExcess > 0 ? value / tailExcess : 0, excessMs: value,
                note: note)
        }

        var rows: [Row] = [
            row(
                .algorithmic, "KV depth and the token's own compute", [.decodeOwn],
                note: "the decode step's cost for this token (grows with the KV cache it attends over)"),
            row(
                .algorithmic, "batch composition: other decode tokens", [.decodeBatching],
                note: "the step's cost of the other streams' tokens"),
            row(
                .algorithmic, "batch composition: other requests' prompts", [.decodeOtherPrefill],
                note: "prompt chunks of other requests in the token's steps"),
            row(
                .memory, "page faults and reclaim", [.faultStalls],
                note: "major faults and PSI memory/io stalls during the token's steps (probe)"),
        ]
        if let allocations = context.allocationsPerToken {
            rows.append(
                Row(
                    category: .memory, source: "allocation", share: nil, excessMs: nil,
                    note: String(format: "%.2f allocations per generated token in steady decode (uprobes)", allocations)
                ))
        } else {
            rows.append(
                Row(
                    category: .memory, source: "allocation", share: nil, excessMs: nil,
                    note: "not measured in this run: `inferlab profile --allocations` counts them"))
        }
        rows.append(
            row(
                .concurrency, "run-queue wait", [.runqueueWait],
                note: "the engine's threads runnable but not running (schedstat)"
                    + preempters(context.preemptedBy)))
        rows.append(
            row(.concurrency, "CFS throttling", [.cfsThrottling], note: "the cgroup's CPU quota ran out (cpu.stat)"))
        if gaps.contains(where: { $0.stragglingMs != nil }) {
            let straggling = excess { $0.stragglingMs ?? 0 }
            rows.append(
                Row(
                    category: .concurrency, source: "of which: barrier straggling", share: nil,
                    excessMs: straggling,
                    note: String(
                        format:
                            "%.0f %% of the tail's excess: one compute thread late while the others waited (tracefs); "
                            + "part of the rows above, not added", tailExcess > 0 ? 100 * straggling / tailExcess : 0)))
        } else {
            rows.append(
                Row(
                    category: .concurrency, source: "barrier straggling", share: nil, excessMs: nil,
                    note: "not measured: the scheduler was not traced (probe: {profile: {sched: true}})"))
        }
        rows.append(
            Row(
                category: .hardware, source: "steal (the hypervisor)", share: nil, excessMs: nil,
                note: context.steal.map { String(format: "%.2f %% of CPU time stolen over the trials", 100 * $0) }
                    ?? "not measured in this run (the profile reads /proc/stat)"))
        rows.append(
            Row(
                category: .hardware, source: "CPU frequency", share: nil, excessMs: nil,
                note: context.frequencyExposed
                    ? "not sampled yet" : "not measurable here: the VM exposes no cpufreq"))
        rows.append(
            row(
                .other, "engine overhead, queueing, network",
                [.engineOverhead, .queue, .networkIn, .networkOut, .clientLag],
                note: "the engine's own time between steps, and the edges"))
        rows.append(row(.other, "unattributed", [.unattributed], note: "what no measured cause covers"))

        var byCategory: [Category: Double] = [:]
        for row in rows { byCategory[row.category, default: 0] += row.share ?? 0 }
        let ranking =
            byCategory.filter { $0.key != .other }.sorted {
                $0.value > $1.value || ($0.value == $1.value && $0.key.rawValue < $1.key.rawValue)
            }.map(\.key) + [.other]
        return Table(p50Ms: p50, p99Ms: p99, tailGaps: tail.count, rows: rows, ranking: ranking)
    }

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    private static func preempters(_ preemptedBy: [(kind: String, ms: Double)]) -> String {
        let total = preemptedBy.reduce(0) { $0 + $1.ms }
        guard total > 0 else { return "" }
        let parts = preemptedBy.sorted { $0.ms > $1.ms }.prefix(3).map {
            String(format: "%@ %.0f %%", $0.kind, 100 * $0.ms / total)
        }
        return "; preempted by: " + parts.joined(separator: ", ")
    }
}
