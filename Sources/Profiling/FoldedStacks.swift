import Foundation

/// Call stacks folded to counts: one line `root;caller;leaf COUNT` per distinct stack, the
/// format FlameGraph, inferno and speedscope read.
public struct FoldedStacks: Sendable, Equatable {
    /// Samples per stack (frames root first).
    public private(set) var counts: [[String]: Int] = [:]

    public init() {}

    /// Folds `samples`, each under its thread's name as the root frame (threads that are
    /// numbered copies of one pool, like `llama-worker-3`, stay apart).
    public init(_ samples: [PerfSample]) {
        for sample in samples {
            add([sample.thread] + sample.frames.reversed().map(\.name), count: 1)
        }
    }

    public mutating func add(_ stack: [String], count: Int) {
        guard !stack.isEmpty, count > 0 else { return }
        counts[stack, default: 0] += count
    }

    public var total: Int { counts.values.reduce(0, +) }

    /// The folded text, stacks in lexical order.
    public var text: String {
        counts.map { (stack: $0.key.map(Self.escape).joined(separator: ";"), count: $0.value) }
            .sorted { $0.stack < $1.stack }
            .map { "\($0.stack) \($0.count)\n" }.joined()
    }

    /// Reads folded text (as written by `text`, or by FlameGraph's stackcollapse scripts).
    public static func parse(_ text: String) -> FoldedStacks {
        var folded = FoldedStacks()
        for line in text.split(separator: "\n") {
            guard let space = line.lastIndex(of: " "), let count = Int(line[line.index(after: space)...]) else {
                continue
            }
            folded.add(line[..<space].split(separator: ";").map(String.init), count: count)
        }
        return folded
    }

    /// `;` separates frames, so a frame may not hold one.
    static func escape(_ frame: String) -> String { frame.replacingOccurrences(of: ";", with: ":") }

    /// Samples whose leaf is each function (self time), most first.
    public var leaves: [(function: String, samples: Int)] {
        var byLeaf: [String: Int] = [:]
        for (stack, count) in counts { byLeaf[stack.last ?? "", default: 0] += count }
        return byLeaf.map { ($0.key, $0.value) }.sorted {
            $0.samples > $1.samples || ($0.samples == $1.samples && $0.function < $1.function)
        }
    }

    /// Samples per root frame (the thread).
    public var threads: [(thread: String, samples: Int)] {
        var byRoot: [String: Int] = [:]
        for (stack, count) in counts { byRoot[stack.first ?? "", default: 0] += count }
        return byRoot.map { ($0.key, $0.value) }.sorted {
            $0.samples > $1.samples || ($0.samples == $1.samples && $0.thread < $1.thread)
        }
    }
}
