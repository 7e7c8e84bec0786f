public import InferLabCore

/// A request's latency laid out on the clock: consecutive segments from t_sched to its last
/// event, each split into components that add up to the segment's length.
///
/// Within a segment the split is a share, not an order (a decode step is 60 % this request's own
/// token and 40 % the batch), so a window that cuts a segment (TTFT, one inter-token gap) takes
/// the segment's components in proportion to the overlap.
public struct Timeline: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var start: MonotonicInstant
        public var end: MonotonicInstant
        /// Milliseconds per component, adding up to `end - start`.
        public var parts: ComponentTimes
        /// The engine step this segment is, if it is one.
        public var step: Int?

        public init(start: MonotonicInstant, end: MonotonicInstant, parts: ComponentTimes, step: Int? = nil) {
            self.start = start
            self.end = end
            self.parts = parts
            self.step = step
        }

        public var milliseconds: Double { (end - start).milliseconds }
    }

    public var segments: [Segment]

    public init(segments: [Segment]) { self.segments = segments }

    public var start: MonotonicInstant? { segments.first?.start }
    public var end: MonotonicInstant? { segments.last?.end }

    /// The components of the time between `from` and `to`.
    public func components(from: MonotonicInstant, to: MonotonicInstant) -> ComponentTimes {
        var total = ComponentTimes()
        guard to > from else { return total }
        for segment in segments where segment.end > from && segment.start < to {
            let length = segment.milliseconds
            guard length > 0 else { continue }
            let overlap = (min(segment.end, to) - max(segment.start, from)).milliseconds
            total.add(segment.parts, scale: overlap / length)
        }
        return total
    }

    /// Every component over the whole timeline.
    public var components: ComponentTimes {
        var total = ComponentTimes()
        for segment in segments { total.add(segment.parts) }
        return total
    }
}
