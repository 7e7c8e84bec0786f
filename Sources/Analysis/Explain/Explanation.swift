import InferLabCore
import InferenceCore

/// Why one request took as long as it did: its latency split into components, the evidence for
/// each and a sentence naming the top causes.
public struct RequestExplanation: Sendable, Equatable, Encodable {
    public var id: String
    public var trial: Int?
    /// t_sched → last event: the latency the user saw, client lag included; the components add up
    /// to it.
    public var e2eMilliseconds: Double
    /// t_sched → first content event, and its components.
    public var ttftMilliseconds: Double?
    public var components: ComponentTimes
    public var ttftComponents: ComponentTimes
    public var topCause: Component?
    public var topTTFTCause: Component?
    /// The raw counters and ids behind each component.
    public var evidence: [Component: String]
    public var sentence: String
    /// `engine` (the engine's instants and step log) or `timings` (a server that reports only
    /// durations: the queue and the network cannot be told apart).
    public var basis: String
    /// Each inter-token gap, when asked for.
    public var tokens: [TokenExplanation]?

    enum CodingKeys: String, CodingKey {
        case id, trial, components, evidence, sentence, basis, tokens
        case e2eMilliseconds = "e2e_ms"
        case ttftMilliseconds = "ttft_ms"
        case ttftComponents = "ttft_components"
        case topCause = "top_cause"
        case topTTFTCause = "top_ttft_cause"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(trial, forKey: .trial)
        try c.encode(Self.rounded(e2eMilliseconds), forKey: .e2eMilliseconds)
        try c.encodeIfPresent(ttftMilliseconds.map(Self.rounded), forKey: .ttftMilliseconds)
        try c.encode(ComponentObject(components), forKey: .components)
        try c.encode(ComponentObject(ttftComponents), forKey: .ttftComponents)
        try c.encodeIfPresent(topCause, forKey: .topCause)
        try c.encodeIfPresent(topTTFTCause, forKey: .topTTFTCause)
        try c.encode(Dictionary(uniqueKeysWithValues: evidence.map { ($0.key.rawValue, $0.value) }), forKey: .evidence)
        try c.encode(sentence, forKey: .sentence)
        try c.encode(basis, forKey: .basis)
        try c.encodeIfPresent(tokens, forKey: .tokens)
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// Components as a JSON object of name to milliseconds, in `Component` order.
struct ComponentObject: Encodable {
    let times: ComponentTimes
    init(_ times: ComponentTimes) { self.times = times }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (component, value) in times.ordered {
            try c.encode(RequestExplanation.rounded(value), forKey: Key(stringValue: component.rawValue))
        }
    }
}

/// One inter-token gap (between the content events of tokens `index - 1` and `index`) split the
/// same way.
public struct TokenExplanation: Sendable, Equatable, Encodable {
    public var index: Int
    public var gapMilliseconds: Double
    public var components: ComponentTimes
    public var topCause: Component?

    enum CodingKeys: String, CodingKey {
        case index, components
        case gapMilliseconds = "gap_ms"
        case topCause = "top_cause"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(RequestExplanation.rounded(gapMilliseconds), forKey: .gapMilliseconds)
        try c.encode(ComponentObject(components), forKey: .components)
        try c.encodeIfPresent(topCause, forKey: .topCause)
    }
}

extension Explainer {
    /// The explanation of `request`, with its inter-token gaps when `tokens` is set.
    public func explain(_ request: RequestLife, trial: Int? = nil, tokens: Bool = false) -> RequestExplanation {
        let timeline = timeline(of: request)
        let end = request.lastEvent
        let components = timeline.components(from: request.scheduled, to: end)
        let first = request.contentEvents.first
        let ttft = first.map { timeline.components(from: request.scheduled, to: $0) } ?? ComponentTimes()
        let evidence = self.evidence(for: request, components: components)
        let e2e = (end - request.scheduled).milliseconds
        var explanation = RequestExplanation(
            id: request.id, trial: trial, e2eMilliseconds: e2e,
            ttftMilliseconds: first.map { ($0 - request.scheduled).milliseconds }, components: components,
            ttftComponents: ttft, topCause: components.top, topTTFTCause: ttft.top, evidence: evidence,
            sentence: Self.sentence(e2e: e2e, components: components, evidence: evidence),
            basis: request.server == nil ? "timings" : "engine")
        if tokens {
            explanation.tokens = zip(request.contentEvents, request.contentEvents.dropFirst()).enumerated().map {
                offset, pair in
                let parts = timeline.components(from: pair.0, to: pair.1)
                return TokenExplanation(
                    index: offset + 1, gapMilliseconds: (pair.1 - pair.0).milliseconds, components: parts,
                    topCause: parts.top)
            }
        }
        return explanation
    }

    /// The raw figures behind each component present.
    func evidence(for request: RequestLife, components: ComponentTimes) -> [Component: String] {
        var evidence: [Component: String] = [:]
        let window = request.server.map { ($0.admitted, $0.lastToken) } ?? (request.sent, request.lastEvent)
        let mine = steps(overlapping: window.0, window.1).filter { $0.share(of: request.id) != nil }
        if let server = request.server, components[.queue] > 0 {
            let running = Set(
                steps(overlapping: server.arrival, server.admitted).flatMap { $0.requests.map(\.id) }
            ).subtracting([request.id])
            let ahead = requests.filter { other in
                guard other.id != request.id, let life = other.server else { return false }
                return life.arrival < server.arrival && life.admitted > server.arrival
            }
            evidence[.queue] =
                "behind \(Self.count(running.count, "running request")) and \(Self.count(ahead.count, "request")) queued ahead"
        }
        if components[.prefillWait] > 0 || components[.prefillStretched] > 0, let server = request.server {
            let prefill = steps(overlapping: server.admitted, server.firstToken)
            let others = prefill.reduce(0) { sum, step in
                sum + step.requests.filter { $0.id != request.id }.reduce(0) { $0 + $1.prompt + $1.decode }
            }
            let own = prefill.reduce(0) { $0 + ($1.share(of: request.id)?.prompt ?? 0) }
            evidence[.prefillStretched] =
                "\(own) own prompt tokens and \(others) tokens of other requests in \(Self.count(prefill.count, "step"))"
            if components[.prefillWait] > 0 {
                evidence[.prefillWait] =
                    "\(prefill.filter { $0.share(of: request.id) == nil }.count) steps of other requests' prompts"
            }
        }
        let decoding = mine.filter { $0.share(of: request.id)?.decode ?? 0 > 0 }
        if !decoding.isEmpty {
            let batch = Double(decoding.reduce(0) { $0 + $1.decodeTokens }) / Double(decoding.count)
            evidence[.decodeBatching] = "a mean batch of \(Self.number(batch)) decode tokens in \(decoding.count) steps"
            let chunked = decoding.filter { $0.promptTokens > 0 }
            if !chunked.isEmpty {
                evidence[.decodeOtherPrefill] =
                    "\(chunked.reduce(0) { $0 + $1.promptTokens }) prompt tokens of other requests in "
                    + "\(chunked.count) of its \(decoding.count) decode steps"
            }
        }
        if let cost {
            evidence[.decodeOwn] = "\(Self.number(cost.soloDecodeMilliseconds)) ms per token at batch size 1"
            evidence[.prefillOwn] = "\(Self.number(cost.perPromptTokenMilliseconds)) ms per prompt token"
        }
        let periods = os.throttledPeriods.growth(from: window.0, to: window.1)
        let throttled =
            os.throttledMicroseconds.growth(from: window.0, to: window.1) / 1000 / Double(max(1, os.throttledCPUs))
        if components[.cfsThrottling] > 0 {
            evidence[.cfsThrottling] =
                "\(Self.count(Int(periods.rounded()), "throttled period")), \(Self.number(throttled)) ms throttled"
        }
        if components[.runqueueWait] > 0 {
            let wait = os.runqueueWaitNanoseconds.growth(from: window.0, to: window.1) / 1e6
            evidence[.runqueueWait] =
                "\(Self.number(wait)) ms run-queue wait over \(Self.count(os.computeThreads, "compute thread"))"
        }
        if components[.faultStalls] > 0 {
            let faults = os.majorFaults.growth(from: window.0, to: window.1)
            let bytes = os.readBytes.growth(from: window.0, to: window.1)
            evidence[.faultStalls] =
                "\(Self.count(Int(faults.rounded()), "major fault")), \(Self.number(bytes / 1_048_576)) MiB read"
        }
        if components[.unattributed] > 0 {
            evidence[.unattributed] =
                request.server == nil
                ? "the server reports no arrival or step times: queue and network are not separable"
                : "steps ran over their modelled cost with no OS event to show for it"
        }
        return evidence.filter { components[$0.key] > 0 }
    }

    /// "62 % of this request's 4.1 s was queueing (behind ...); 21 % CFS throttling: 14 ...".
    static func sentence(e2e: Double, components: ComponentTimes, evidence: [Component: String]) -> String {
        guard e2e > 0 else { return "no time to explain" }
        let ranked = components.ordered.sorted { $0.milliseconds > $1.milliseconds }
        let major = ranked.prefix(3).filter { $0.milliseconds / e2e >= 0.1 }
        let chosen = major.isEmpty ? Array(ranked.prefix(1)) : Array(major)
        let parts = chosen.enumerated().map { offset, item in
            let share = "\(Int((100 * item.milliseconds / e2e).rounded())) %"
            let detail = evidence[item.component].map { " (\($0))" } ?? ""
            return offset == 0
                ? "\(share) of this request's \(MetricUnit.milliseconds.format(e2e)) was \(item.component.phrase)\(detail)"
                : "\(share) \(item.component.phrase)\(detail)"
        }
        return parts.joined(separator: "; ")
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func number(_ value: Double) -> String {
        abs(value) >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }
}
