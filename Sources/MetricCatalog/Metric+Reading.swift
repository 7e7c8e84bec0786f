public import InferenceCore
public import SystemProbe

extension Metric {
    /// How a metric's values are obtained. Client and trial measures name the formula (the load
    /// generator's records hold them: docs/metrics.md, "Per request"); the others read a field.
    public enum Reading: Sendable {
        /// One value per request.
        case request(RequestMeasure)
        /// ITL: every gap between consecutive content events of a request.
        case tokenGaps
        /// One value per trial, from its bench summary or from several probe series.
        case trial(TrialMeasure)
        /// A Prometheus series of `inferlab serve`'s `/metrics`: the server takes its name from here
        /// and its help text from `Metric.help`.
        case exposition(String)
        /// A field of each probe sample.
        case probe(@Sendable (ProbeSample) -> Double?)
        /// A field of each thread of a probe sample.
        case thread(@Sendable (ThreadSample) -> Double?)
        /// A field of each engine step.
        case step(@Sendable (StepRecord) -> Double?)

        /// The reading's form, as `inferlab metrics --json` and the docs table show it.
        public enum Kind: String, Sendable, Codable, CaseIterable {
            case request, tokenGaps = "token_gaps", trial, exposition, probe, thread, step
        }

        public var kind: Kind {
            switch self {
            case .request: .request
            case .tokenGaps: .tokenGaps
            case .trial: .trial
            case .exposition: .exposition
            case .probe: .probe
            case .thread: .thread
            case .step: .step
            }
        }

        /// The Prometheus series name of an exposition reading.
        public var exposition: String? {
            if case .exposition(let series) = self { return series }
            return nil
        }
    }

    /// A per-request formula of DESIGN.md ("Metric definitions"), each a property of LoadGen's
    /// `RequestRecord` (named in each case). Values are taken from successful requests only,
    /// except the client lag, which every request has.
    public enum RequestMeasure: String, Sendable, Codable, CaseIterable {
        /// `ttftMs`: first content event - `t_send`.
        case ttft
        /// `tpotMs`: (E2E - TTFT) / (output tokens - 1).
        case tpot
        /// `e2eMs`: last event - `t_send`.
        case e2e
        /// `lagMs`: `t_send - t_sched`.
        case lag
        /// `e2eFromScheduledMs`: last event - `t_sched`.
        case e2eFromScheduled = "e2e_from_scheduled"
        /// `outputTokens`: `usage.completion_tokens`, else one per content event.
        case outputTokens = "output_tokens"
        /// `clientDecodeTokensPerSecond`: (content events - 1) / (last content - first content).
        case clientDecodeRate = "client_decode_rate"
        /// `timings.queueMs` of the final chunk: arrival to admission in the server.
        case serverQueue = "server_queue"
        /// `timings.promptMs`: the server's prefill time.
        case serverPrefill = "server_prefill"
        /// `timings.cacheN`: prompt tokens the server took from its prefix cache.
        case serverCachedTokens = "server_cached_tokens"
        /// `timings.predictedPerSecond`: the server's decode rate.
        case serverDecodeRate = "server_decode_rate"
    }

    /// A per-trial figure: a field of the trial's `BenchSummary`, or a derivation over its probe samples.
    public enum TrialMeasure: String, Sendable, Codable, CaseIterable {
        /// `outputTokensPerS`: output tokens of completed requests / wall time of the window.
        case outputTokensPerSecond = "output_tokens_per_s"
        /// `requestsPerS`: completed requests / wall time.
        case requestsPerSecond = "requests_per_s"
        /// `goodputRequestsPerS`: requests meeting every objective / wall time.
        case goodputRequestsPerSecond = "goodput_requests_per_s"
        /// `requests.failed`: requests with an error class.
        case errors
        /// `TrialMeasure.otherCPUCores(in:onlineCPUs:)`: the CPU every program but the engine used.
        case otherCPUCores = "other_cpu_cores"
    }
}
