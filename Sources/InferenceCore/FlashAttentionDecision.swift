/// What one flash-attention setting cost in a calibration: the prompt rate, and a decode token's
/// time at a few depths, between and beyond which the cost is interpolated linearly (decode
/// reads every cached cell, so its time grows with depth; the kernels differ in how fast).
public struct FlashAttentionMeasurement: Sendable, Codable, Equatable {
    /// A decode token's median time at a depth.
    public struct DecodePoint: Sendable, Codable, Equatable {
        public var depth: Int
        public var milliseconds: Double

        public init(depth: Int, milliseconds: Double) {
            self.depth = depth
            self.milliseconds = milliseconds
        }
    }

    public var setting: FlashAttention
    /// Prompt tokens per second of batched prefills from depth 0 to the deepest point.
    public var prefillTokensPerSecond: Double
    /// Decode cost by depth, shallowest first.
    public var decode: [DecodePoint]

    public init(setting: FlashAttention, prefillTokensPerSecond: Double, decode: [DecodePoint]) {
        self.setting = setting
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.decode = decode.sorted { $0.depth < $1.depth }
    }

    /// Milliseconds per decode token at `depth`: on the segment between the measured depths
    /// around it, or the nearest segment's line beyond them.
    public func decodeMilliseconds(atDepth depth: Int) -> Double {
        guard let first = decode.first else { return .infinity }
        guard decode.count > 1 else { return first.milliseconds }
        var segment = (decode[decode.count - 2], decode[decode.count - 1])
        for (a, b) in zip(decode, decode.dropFirst()) where depth <= b.depth {
            segment = (a, b)
            break
        }
        let (a, b) = segment
        guard b.depth > a.depth else { return b.milliseconds }
        let slope = (b.milliseconds - a.milliseconds) / Double(b.depth - a.depth)
        return max(a.milliseconds + slope * Double(depth - a.depth), 0)
    }

    /// Milliseconds per token of a workload whose tokens are `promptShare` prompt tokens and the
    /// rest decode tokens at `depth`.
    public func millisecondsPerToken(depth: Int, promptShare: Double) -> Double {
        let prefill = 1000 / max(prefillTokensPerSecond, 1e-9)
        return promptShare * prefill + (1 - promptShare) * decodeMilliseconds(atDepth: depth)
    }
}

/// The workload `flash_attn: auto` chooses for, and the choice.
///
/// The expected depth is half a sequence's context (a stream is, on average, half-way through
/// its cells), at most 1,024: requests rarely fill large contexts, and a guess deeper than the
/// traffic would trade the prefill it has for decode speed at depths it never reaches. The
/// prefill share is 80 % of the tokens: served prompts (a system prompt, a chat's history, a
/// document) are mostly longer than their answers; the frozen corpus's are 85 %.
/// A pure value: the engine measures, this decides.
public struct FlashAttentionDecision: Sendable, Codable, Equatable {
    /// The setting chosen (`on` or `off`).
    public var chosen: FlashAttention
    /// What was asked for (`auto`, or the setting itself).
    public var requested: FlashAttention
    /// The depth and prefill share the choice was made for.
    public var depth: Int
    public var promptShare: Double
    /// The calibration's measurements (none when a setting was asked for).
    public var measurements: [FlashAttentionMeasurement]
    /// Whether the measurements came from the cache.
    public var cached: Bool

    public static let defaultPromptShare = 0.8

    /// The depth `auto` chooses for in a context whose sequences hold `sequenceContext` cells.
    public static func expectedDepth(sequenceContext: Int) -> Int { min(max(sequenceContext / 2, 1), 1024) }

    /// A setting asked for, nothing measured.
    public init(requested: FlashAttention) {
        chosen = requested == .auto ? .on : requested
        self.requested = requested
        depth = 0
        promptShare = Self.defaultPromptShare
        measurements = []
        cached = false
    }

    /// `off` must cost at least this much less per token than `on` to be chosen: a smaller
    /// difference is within what two calibrations on this VM disagree by, and `on` is llama.cpp's
    /// own choice (and llama-server's).
    public static let margin = 0.05

    /// The cheaper setting per token of the workload; within `margin`, `on` (llama.cpp's own `auto`).
    public init(
        measurements: [FlashAttentionMeasurement], depth: Int, promptShare: Double = defaultPromptShare,
        cached: Bool
    ) {
        let costs = measurements.map { ($0.setting, $0.millisecondsPerToken(depth: depth, promptShare: promptShare)) }
        let on = costs.first { $0.0 == .on }?.1 ?? .infinity
        let off = costs.first { $0.0 == .off }?.1 ?? .infinity
        chosen = off < on * (1 - Self.margin) ? .off : .on
        requested = .auto
        self.depth = depth
        self.promptShare = promptShare
        self.measurements = measurements
        self.cached = cached
    }

    /// One line for logs and provenance: the choice and the measurement behind it.
    public var summary: String {
        guard requested == .auto, !measurements.isEmpty else { return "\(chosen.rawValue) (asked for)" }
        let parts = measurements.map { m in
            let cost = m.millisecondsPerToken(depth: depth, promptShare: promptShare)
            return "\(m.setting.rawValue): prefill \(Self.format(m.prefillTokensPerSecond)) tok/s, decode "
                + "\(Self.format(1000 / max(m.decodeMilliseconds(atDepth: depth), 1e-9))) tok/s at depth \(depth), "
                + "\(Self.format(cost)) ms/token"
        }
        return "\(chosen.rawValue) (auto, \(cached ? "cached" : "measured") for depth \(depth) and "
            + "\(Int((promptShare * 100).rounded())) % prompt tokens: \(parts.joined(separator: "; ")))"
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
    }
}
