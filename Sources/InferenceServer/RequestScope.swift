import Foundation
import InferLabCore
import InferenceCore
import Logging
import Synchronization

/// One generation request from its arrival to its last byte.
///
/// It owns the request's admission place and ends exactly once, whichever way the request ends:
/// an error before the response, a whole response, the end of a stream, a client that went away,
/// or a response that was never written (the scope is released unended). Ending gives the place
/// back, counts the status and writes the request's one log line.
final class RequestScope: Sendable {
    /// How a request ended.
    enum Outcome: Sendable {
        case finished(GenerationSummary)
        case failed(APIError)
        /// The client went away before the end (a failed write).
        case disconnected
        /// The response was dropped unwritten (the connection closed before its head went out).
        case abandoned
    }

    let id: String
    let flavor: WireFlavor
    /// Monotonic nanoseconds; queue time counts from here.
    let arrival: MonotonicInstant
    private let admission: Admission
    private let metrics: ServerMetrics
    private let logger: Logger

    private struct State: ~Copyable {
        var ticket: Admission.Ticket?
        var ended = false
    }
    private let state = Mutex(State())

    init(flavor: WireFlavor, admission: Admission, metrics: ServerMetrics, logger: Logger) {
        arrival = .now()
        let prefix = flavor == .chat ? "chatcmpl-" : "cmpl-"
        id = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)
        self.flavor = flavor
        self.admission = admission
        self.metrics = metrics
        self.logger = logger
    }

    deinit {
        end(.abandoned)
    }

    /// Takes an admission place, or refuses with a 429.
    func enter() throws(APIError) {
        do {
            try state.withLock { (state) throws(Admission.Rejection) in state.ticket = try admission.enter() }
        } catch {
            metrics.rejection(reason: "queue_full")
            throw APIError(.tooManyRequests, error.message, type: "rate_limit_error", code: "queue_full")
        }
    }

    /// The prompt's tokens wait in the queue until `admitted`.
    func charge(tokens: Int) {
        withTicket { admission.charge(&$0, tokens: tokens) }
    }

    /// The engine admitted the request. Safe to call more than once.
    func admitted() {
        withTicket { admission.admitted(&$0) }
    }

    /// Maps `error` to what the client sees and ends the scope with it.
    func fail(_ error: any Error) -> APIError {
        let apiError = APIError(error, promptParameter: flavor == .chat ? "messages" : "prompt")
        end(.failed(apiError))
        return apiError
    }

    /// Ends the scope; only the first call counts.
    func end(_ outcome: Outcome) {
        let first = state.withLock { state in
            guard !state.ended else { return false }
            state.ended = true
            if let ticket = state.ticket.take() { admission.leave(ticket) }
            return true
        }
        guard first else { return }
        switch outcome {
        case .finished(let summary):
            metrics.request(status: 200)
            metrics.finished(summary)
            logger.info(
                "request",
                metadata: [
                    "id": "\(id)", "status": "200", "prompt_tokens": "\(summary.promptTokens)",
                    "cached_tokens": "\(summary.cachedTokens)", "completion_tokens": "\(summary.completionTokens)",
                    "ttft_ms": "\(String(format: "%.1f", (summary.firstToken - summary.arrival).milliseconds))",
                    "e2e_ms": "\(String(format: "%.1f", (summary.lastToken - summary.arrival).milliseconds))",
                    "finish": "\(summary.finishReason.rawValue)",
                ])
        case .failed(let error):
            unfinished(status: Int(error.status.code), error.message)
        case .disconnected:
            metrics.cancellation()
            unfinished(status: 499, "client disconnected")
        case .abandoned:
            metrics.cancellation()
            unfinished(status: 499, "the response was dropped before it was written")
        }
    }

    private func unfinished(status: Int, _ error: String) {
        metrics.request(status: status)
        logger.info("request", metadata: ["id": "\(id)", "status": "\(status)", "error": "\(error)"])
    }

    private func withTicket(_ body: (inout Admission.Ticket) -> Void) {
        state.withLock { state in
            guard var ticket = state.ticket.take() else { return }
            body(&ticket)
            state.ticket = consume ticket
        }
    }
}
