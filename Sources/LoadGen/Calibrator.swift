import InferLabCore

/// `inferlab bench calibrate`: measures the client against the in-process mock server.
///
/// 1. Timing error: one stream at a fixed interval (1 ms: 1,000 events/s); for each gap between
///    consecutive content events, the measured ITL minus the configured interval, and the
///    measured ITL minus the gap the server actually left between its writes (which removes the
///    server's own timer jitter). Percentiles are of absolute values.
/// 2. Event rate: streams sent as fast as the socket takes them; events parsed per second.
/// 3. Request rate: one-token responses in a closed loop; requests completed per second.
public struct Calibrator: Sendable {
    /// Options; the defaults take a few seconds.
    public struct Options: Sendable, Codable, Equatable {
        /// Configured token interval in ms. The default is 1.
        public var intervalMs: Double = 1
        /// Tokens per timing stream. The default is 1,000.
        public var timingTokens: Int = 1000
        /// Timing streams (sequential). The default is 3.
        public var timingStreams: Int = 3
        /// Events per stream in the event-rate test. The default is 20,000.
        public var rateTokens: Int = 20_000
        /// Concurrent streams in the event-rate test. The default is 4.
        public var rateStreams: Int = 4
        /// Requests in the request-rate test. The default is 2,000.
        public var rateRequests: Int = 2000
        /// Closed-loop users in the request-rate test. The default is 8.
        public var rateConcurrency: Int = 8

        public init() {}

        enum CodingKeys: String, CodingKey {
            case intervalMs = "interval_ms"
            case timingTokens = "timing_tokens"
            case timingStreams = "timing_streams"
            case rateTokens = "rate_tokens"
            case rateStreams = "rate_streams"
            case rateRequests = "rate_requests"
            case rateConcurrency = "rate_concurrency"
        }
    }

    /// The report; `--json` prints it.
    public struct Report: Sendable, Codable, Equatable {
        public struct Error: Sendable, Codable, Equatable {
            public var p50: Double
            public var p99: Double
            public var max: Double
        }

        /// |measured ITL - configured interval|, ms.
        public var timingErrorMs: Error
        /// |measured ITL - interval the server actually left|, ms (the client's own error).
        public var clientErrorMs: Error
        /// The configured interval, ms.
        public var intervalMs: Double
        /// Gaps measured.
        public var gaps: Int
        public var maxEventsPerS: Double
        public var maxRequestsPerS: Double
        /// Failed requests across all three tests (should be 0).
        public var failed: Int

        enum CodingKeys: String, CodingKey {
            case timingErrorMs = "timing_error_ms"
            case clientErrorMs = "client_error_ms"
            case intervalMs = "interval_ms"
            case gaps
            case maxEventsPerS = "max_events_per_s"
            case maxRequestsPerS = "max_requests_per_s"
            case failed
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Runs the three measurements.
    public func run() async throws(LoadGenError) -> Report {
        let o = options
        guard o.intervalMs > 0, o.timingTokens >= 2, o.timingStreams >= 1, o.rateTokens >= 1, o.rateStreams >= 1,
            o.rateRequests >= 1, o.rateConcurrency >= 1
        else { throw LoadGenError(.configuration, "calibrate: every option must be positive (timing_tokens >= 2)") }
        let corpus = Corpus(entries: [CorpusEntry(id: "calibrate", prompt: "calibrate", maxTokens: 1, class: "short")])

        // 1. Timing error.
        let interval = Duration.seconds(clamping: o.intervalMs / 1000)
        let timingServer = try await MockOpenAIServer.start(
            behavior: .init(tokens: o.timingTokens, interval: interval))
        var configuration = BenchConfiguration()
        configuration.url = timingServer.url
        configuration.requests = o.timingStreams
        configuration.maxTokens = o.timingTokens
        let timing = try await BenchRunner(configuration, corpus: corpus).run()
        let sent = timingServer.sendTimes()
        await timingServer.stop()
        var configuredErrors: [Double] = []
        var clientErrors: [Double] = []
        for (record, serverTimes) in zip(timing.records, sent) where record.succeeded {
            let received = record.events.filter { $0.kind == .content }.map(\.time)
            guard received.count == serverTimes.count else { continue }
            for i in 1..<received.count {
                let measured = received[i] - received[i - 1]
                configuredErrors.append(abs((measured - interval).milliseconds))
                clientErrors.append(abs((measured - (serverTimes[i] - serverTimes[i - 1])).milliseconds))
            }
        }

        // 2. Event rate.
        let burstServer = try await MockOpenAIServer.start(
            behavior: .init(tokens: o.rateTokens, interval: .zero))
        configuration.url = burstServer.url
        configuration.concurrency = o.rateStreams
        configuration.requests = o.rateStreams
        configuration.maxTokens = o.rateTokens
        let burst = try await BenchRunner(configuration, corpus: corpus).run()
        await burstServer.stop()
        let events = burst.records.reduce(0) { $0 + $1.contentEventCount }
        let eventRate = burst.summary.durationS > 0 ? Double(events) / burst.summary.durationS : 0

        // 3. Request rate.
        let shortServer = try await MockOpenAIServer.start(behavior: .init(tokens: 1, interval: .zero))
        configuration.url = shortServer.url
        configuration.concurrency = o.rateConcurrency
        configuration.requests = o.rateRequests
        configuration.maxTokens = 1
        let short = try await BenchRunner(configuration, corpus: corpus).run()
        await shortServer.stop()

        func summary(_ values: [Double]) -> Report.Error {
            let sorted = values.sorted()
            return Report.Error(
                p50: Percentile.of(sorted, 50) ?? 0, p99: Percentile.of(sorted, 99) ?? 0, max: sorted.last ?? 0)
        }
        return Report(
            timingErrorMs: summary(configuredErrors), clientErrorMs: summary(clientErrors), intervalMs: o.intervalMs,
            gaps: configuredErrors.count, maxEventsPerS: eventRate, maxRequestsPerS: short.summary.requestsPerS,
            failed: timing.summary.requests.failed + burst.summary.requests.failed + short.summary.requests.failed)
    }
}
