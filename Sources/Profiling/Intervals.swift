public import InferLabCore

/// A set of disjoint time intervals, kept sorted: what the scheduler analysis unions and
/// intersects (when a thread was late, when another waited for it).
public struct Intervals: Sendable, Equatable {
    public private(set) var spans: [Range<MonotonicInstant>] = []

    public init() {}

    public init(_ spans: [Range<MonotonicInstant>]) {
        self.spans = Self.merged(spans)
    }

    /// Adds one span (an empty one is ignored); call `normalize` after many.
    public mutating func append(_ start: MonotonicInstant, _ end: MonotonicInstant) {
        guard start < end else { return }
        spans.append(start..<end)
    }

    /// Sorts and merges overlapping spans.
    public mutating func normalize() { spans = Self.merged(spans) }

    public var total: Duration { spans.reduce(.zero) { $0 + ($1.upperBound - $1.lowerBound) } }

    public func union(_ other: Intervals) -> Intervals { Intervals(spans + other.spans) }

    /// The time in both (each side normalised).
    public func intersection(_ other: Intervals) -> Intervals {
        var result: [Range<MonotonicInstant>] = []
        var i = 0
        var j = 0
        while i < spans.count && j < other.spans.count {
            let low = max(spans[i].lowerBound, other.spans[j].lowerBound)
            let high = min(spans[i].upperBound, other.spans[j].upperBound)
            if low < high { result.append(low..<high) }
            if spans[i].upperBound < other.spans[j].upperBound { i += 1 } else { j += 1 }
        }
        var intersection = Intervals()
        intersection.spans = result
        return intersection
    }

    /// The time of these spans inside `window`.
    public func overlap(with window: Range<MonotonicInstant>) -> Duration {
        intersection(Intervals([window])).total
    }

    static func merged(_ spans: [Range<MonotonicInstant>]) -> [Range<MonotonicInstant>] {
        var result: [Range<MonotonicInstant>] = []
        for span in spans.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, span.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, span.upperBound)
            } else {
                result.append(span)
            }
        }
        return result
    }
}
