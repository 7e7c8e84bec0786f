/// Finds stop strings in generated text, holding back only what could still become one.
///
/// Text that can no longer be part of a stop string is released at once, so streaming is not
/// delayed more than the longest stop string requires; the stop string itself is never emitted.
public struct StopMatcher: Sendable {
    public let stops: [String]
    private var pending = ""

    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
    }

    /// Feeds text; returns what may be emitted now and whether a stop string was found.
    public mutating func feed(_ text: String) -> (emit: String, stopped: Bool) {
        guard !stops.isEmpty else { return (text, false) }
        pending += text
        var earliest: String.Index?
        for stop in stops {
            if let range = pending.range(of: stop), earliest.map({ range.lowerBound < $0 }) ?? true {
                earliest = range.lowerBound
            }
        }
        if let earliest {
            let emit = String(pending[..<earliest])
            pending = ""
            return (emit, true)
        }
        // keep the longest suffix that is a proper prefix of some stop string
        var keep = 0
        for stop in stops {
            var length = min(stop.count - 1, pending.count)
            while length > keep {
                if stop.hasPrefix(pending.suffix(length)) {
                    keep = length
                    break
                }
                length -= 1
            }
        }
        let cut = pending.index(pending.endIndex, offsetBy: -keep)
        let emit = String(pending[..<cut])
        pending = String(pending[cut...])
        return (emit, false)
    }

    /// Releases held-back text at the end of generation.
    public mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}
