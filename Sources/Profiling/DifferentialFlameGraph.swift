import Foundation

/// Where two profiles differ (e.g. two levels of an experiment: quota vs none, ctx 512 vs
/// 4096), as Brendan Gregg's difffolded and inferno's `--differential` show it but normalised:
/// each profile's samples are shares of its own total, so a 10 s profile and a 4 s one compare.
///
/// The graph is the flame graph of one profile (`after` by default) with each frame coloured by
/// how the share of its stack prefix changed from `before` to `after`: red grew, blue shrank,
/// grey stayed, the colour fuller the larger the change (full at `fullColourAt`). A frame only
/// `before` has is not in `after`'s graph: draw the graph sized by `before` to see those (blue),
/// or read `changes`, the functions whose share changed most, as a table.
public enum DifferentialFlameGraph {
    /// One of the two profiles.
    public enum Side: String, Sendable, Codable {
        case before, after
    }

    /// How one function's share of the samples changed from `before` to `after`.
    public struct Change: Sendable, Codable, Equatable {
        public var function: String
        /// Its ggml operation (`GGMLOperation.of`).
        public var operation: String
        /// The share (0...1) of before's samples with the function anywhere on the stack (its
        /// inclusive time; a recursive function counts once per sample).
        public var beforeShare: Double
        public var afterShare: Double
        /// `afterShare - beforeShare`.
        public var delta: Double
        /// The share of before's samples with the function as the leaf (its self time).
        public var beforeSelfShare: Double
        public var afterSelfShare: Double
        /// `afterSelfShare - beforeSelfShare`.
        public var selfDelta: Double

        public init(
            function: String, beforeShare: Double, afterShare: Double, beforeSelfShare: Double, afterSelfShare: Double
        ) {
            self.function = function
            operation = GGMLOperation.of(function)
            self.beforeShare = beforeShare
            self.afterShare = afterShare
            delta = afterShare - beforeShare
            self.beforeSelfShare = beforeSelfShare
            self.afterSelfShare = afterSelfShare
            selfDelta = afterSelfShare - beforeSelfShare
        }

        enum CodingKeys: String, CodingKey {
            case function, operation, delta
            case beforeShare = "before_share"
            case afterShare = "after_share"
            case beforeSelfShare = "before_self_share"
            case afterSelfShare = "after_self_share"
            case selfDelta = "self_delta"
        }
    }

    /// The functions whose share changed most, by function across all stacks: the largest
    /// inclusive change first, then the largest self change (so of a wrapper and the leaf it
    /// only calls, the leaf comes first), then by name. Functions whose shares did not change
    /// are left out. `mergeThreads` drops the root frame (the thread's name) first; without it
    /// the threads are rows too.
    public static func changes(
        before: FoldedStacks, after: FoldedStacks, limit: Int = 20, mergeThreads: Bool = true
    ) -> [Change] {
        let old = Shares(mergeThreads ? before.mergingThreads() : before)
        let new = Shares(mergeThreads ? after.mergingThreads() : after)
        let changes = Set(old.inclusive.keys).union(new.inclusive.keys).map {
            Change(
                function: $0, beforeShare: old.share($0), afterShare: new.share($0),
                beforeSelfShare: old.selfShare($0), afterSelfShare: new.selfShare($0))
        }
        return Array(
            changes.filter { $0.delta != 0 || $0.selfDelta != 0 }
                .sorted {
                    (abs($0.delta), abs($0.selfDelta), $1.function) > (abs($1.delta), abs($1.selfDelta), $0.function)
                }
                .prefix(max(0, limit)))
    }

    /// The SVG document: the flame graph of `sizedBy`'s profile, each frame coloured by the
    /// change of its stack prefix's share from `before` to `after`, full red or blue at a change
    /// of `fullColourAt` (a share, 0.05 = 5 percentage points; the default). Hover shows both
    /// shares and the change; the search works as in `FlameGraph`. The labels name the two
    /// profiles (the levels) in the title, the legend and every hover text.
    public static func svg(
        before: FoldedStacks, after: FoldedStacks, title: String, beforeLabel: String, afterLabel: String,
        sizedBy: Side = .after, mergeThreads: Bool = true, fullColourAt: Double = 0.05, width: Double = 1200
    ) -> String {
        let old = FlameGraph.tree(mergeThreads ? before.mergingThreads() : before)
        let new = FlameGraph.tree(mergeThreads ? after.mergingThreads() : after)
        let (drawn, other) = sizedBy == .after ? (new, old) : (old, new)
        let oldTotal = Double(max(old.samples, 1))
        let newTotal = Double(max(new.samples, 1))
        let sized = sizedBy == .after ? "after (\(afterLabel))" : "before (\(beforeLabel))"
        let legend = [
            FlameGraph.Swatch(fill: colour(fullColourAt, fullAt: fullColourAt), text: "grew"),
            FlameGraph.Swatch(fill: colour(-fullColourAt, fullAt: fullColourAt), text: "shrank"),
            FlameGraph.Swatch(fill: colour(0, fullAt: fullColourAt), text: "unchanged"),
            FlameGraph.Swatch(
                fill: nil,
                text: "colour: share in after − share in before, full at ±\(points(fullColourAt)) points; "
                    + "widths: \(sized)"),
        ]
        let footer =
            "before (\(beforeLabel)): \(old.samples) samples; after (\(afterLabel)): \(new.samples) samples; "
            + "each as shares of its own total; hover a frame for both"
        return FlameGraph.render(
            drawn, title: "\(title): before \(beforeLabel) → after \(afterLabel)", legend: legend, footer: footer,
            width: width
        ) { node, path in
            let counterpart = other.descendant(path[...])
            let (oldNode, newNode) = sizedBy == .after ? (counterpart, node) : (node, counterpart)
            let oldSamples = oldNode?.samples ?? 0
            let newSamples = newNode?.samples ?? 0
            let beforeShare = Double(oldSamples) / oldTotal
            let afterShare = Double(newSamples) / newTotal
            let delta = afterShare - beforeShare
            return FlameGraph.Look(
                tooltip: "\(node.name)\nbefore (\(beforeLabel)): \(percent(beforeShare)) (\(oldSamples) samples)"
                    + "\nafter (\(afterLabel)): \(percent(afterShare)) (\(newSamples) samples)"
                    + "\nchange: \(String(format: "%+.2f", 100 * delta)) points",
                fill: colour(delta, fullAt: fullColourAt))
        }
    }

    /// Grey for no change, towards red (grew) or blue (shrank) in proportion to the change,
    /// full at `fullAt`.
    static func colour(_ delta: Double, fullAt: Double) -> String {
        let grey = (236.0, 236.0, 236.0)
        let full = delta > 0 ? (222.0, 45.0, 38.0) : (49.0, 99.0, 214.0)
        let t = fullAt > 0 ? min(1, abs(delta) / fullAt) : (delta == 0 ? 0 : 1)
        func mix(_ from: Double, _ to: Double) -> Int { Int((from + (to - from) * t).rounded()) }
        return "rgb(\(mix(grey.0, full.0)),\(mix(grey.1, full.1)),\(mix(grey.2, full.2)))"
    }

    static func percent(_ share: Double) -> String { String(format: "%.2f %%", 100 * share) }
    static func points(_ share: Double) -> String { String(format: "%g", 100 * share) }

    /// A profile's samples by function: with the function anywhere on the stack, and as the leaf.
    struct Shares {
        var inclusive: [String: Int] = [:]
        var leaf: [String: Int] = [:]
        let total: Double

        init(_ folded: FoldedStacks) {
            for (stack, count) in folded.counts {
                for function in Set(stack) { inclusive[function, default: 0] += count }
                if let last = stack.last { leaf[last, default: 0] += count }
            }
            total = Double(max(1, folded.total))
        }

        func share(_ function: String) -> Double { Double(inclusive[function] ?? 0) / total }
        func selfShare(_ function: String) -> Double { Double(leaf[function] ?? 0) / total }
    }
}
