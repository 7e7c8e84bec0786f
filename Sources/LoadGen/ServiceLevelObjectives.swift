/// Latency objectives a request must all meet to count toward goodput.
public struct ServiceLevelObjectives: Sendable, Codable, Equatable {
    /// TTFT bound in ms. The default is nil (not checked).
    public var ttftMs: Double?
    /// TPOT bound in ms (a 1-token answer has no TPOT and passes). The default is nil.
    public var tpotMs: Double?
    /// E2E bound in ms. The default is nil.
    public var e2eMs: Double?

    public init(ttftMs: Double? = nil, tpotMs: Double? = nil, e2eMs: Double? = nil) {
        self.ttftMs = ttftMs
        self.tpotMs = tpotMs
        self.e2eMs = e2eMs
    }

    enum CodingKeys: String, CodingKey {
        case ttftMs = "ttft_ms"
        case tpotMs = "tpot_ms"
        case e2eMs = "e2e_ms"
    }

    /// Whether no objective is set (goodput then equals the rate of successful requests).
    public var isEmpty: Bool { ttftMs == nil && tpotMs == nil && e2eMs == nil }

    /// Parses `ttft=500ms,tpot=100ms,e2e=2s` (units `ms`, `s`, or none for ms).
    public static func parse(_ text: String) throws(LoadGenError) -> ServiceLevelObjectives {
        var slo = ServiceLevelObjectives()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else {
                throw LoadGenError(.configuration, "slo: '\(part)' is not name=value; write e.g. ttft=500ms,tpot=100ms")
            }
            guard let ms = parseMilliseconds(pair[1]) else {
                throw LoadGenError(.configuration, "slo: '\(pair[1])' is not a duration; write e.g. 500ms or 2s")
            }
            switch pair[0].lowercased() {
            case "ttft": slo.ttftMs = ms
            case "tpot": slo.tpotMs = ms
            case "e2e": slo.e2eMs = ms
            default: throw LoadGenError(.configuration, "slo: unknown objective '\(pair[0])'; use ttft, tpot or e2e")
            }
        }
        try slo.validate()
        return slo
    }

    static func parseMilliseconds(_ text: String) -> Double? {
        let t = text.lowercased()
        if t.hasSuffix("ms") { return Double(t.dropLast(2)) }
        if t.hasSuffix("s") { return Double(t.dropLast()).map { $0 * 1000 } }
        return Double(t)
    }

    /// Checks every objective is positive.
    public func validate() throws(LoadGenError) {
        for (name, value) in [("slo.ttft_ms", ttftMs), ("slo.tpot_ms", tpotMs), ("slo.e2e_ms", e2eMs)] {
            if let value, !(value > 0 && value.isFinite) {
                throw LoadGenError(.configuration, "\(name): must be a positive duration (got \(value))")
            }
        }
    }
}

import Foundation
