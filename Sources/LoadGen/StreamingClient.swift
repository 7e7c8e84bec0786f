import AsyncHTTPClient
import Foundation
import InferLabCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one request and records every event with its monotonic receipt time.
///
/// Never throws for a failed request: the returned record carries the error class. The SSE
/// bytes are parsed as they arrive; an event's time is the arrival of the read that completed it.
struct StreamingClient: Sendable {
    let http: HTTPClient
    let configuration: BenchConfiguration
    let baseURL: String

    init(http: HTTPClient, configuration: BenchConfiguration) {
        self.http = http
        self.configuration = configuration
        baseURL = configuration.baseURL
    }

    /// Sends `entry`, marking `t_sched` = `scheduled`.
    ///
    /// The response is parsed on the event loop as bytes arrive (``StreamRecorder``), so each
    /// event's timestamp is the socket read that completed it, not when a task got to run.
    ///
    /// `hangUp` cuts the stream on purpose (the workload's cancellations): the record ends
    /// `hung_up` with what arrived until then. `keepText` keeps the generated text (sessions).
    func send(
        _ entry: CorpusEntry, body: Data, step: Int, seq: Int, scheduled: MonotonicInstant,
        hangUp: BenchConfiguration.CancelAfter? = nil, keepText: Bool = false, session: String? = nil,
        turn: Int? = nil
    ) async -> RequestRecord {
        let sent = MonotonicInstant.now()
        var record = RequestRecord(
            step: step, seq: seq, corpusId: entry.id, lengthClass: entry.class ?? "", scheduled: scheduled,
            sent: sent)
        record.session = session ?? entry.session
        record.turn = turn
        if keepText { record.responseText = "" }
        let request: HTTPClient.Request
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Accept", value: configuration.stream ? "text/event-stream" : "application/json")
            request = try HTTPClient.Request(
                url: baseURL + configuration.api.path, method: .POST, headers: headers, body: .bytes(body))
        } catch {
            var failed = record
            fail(&failed, .other, "bad request URL: \(error)")
            return failed
        }
        // A pooled keep-alive connection the server has just closed (llama-server's HTTP
        // library closes idle ones after 5 s) fails before any response byte: retry that case
        // up to twice (the retry may pick another stale pooled connection). A server that
        // really died fails the retries too (connect).
        // Every other failure is recorded as it is.
        var attempt = 0
        while true {
            let result = await attemptSend(request, record: record, hangUp: hangUp)
            if attempt < 2, result.status == nil, result.errorClass == .connect,
                result.errorMessage.map({ $0.contains("closed channel") || $0.contains("server closed") }) == true
            {
                attempt += 1
                continue
            }
            return result
        }
    }

    private func attemptSend(
        _ request: HTTPClient.Request, record: RequestRecord, hangUp: BenchConfiguration.CancelAfter?
    ) async -> RequestRecord {
        var afterTokens: Int?
        var afterTime: Double?
        switch hangUp {
        case .tokens(let n): afterTokens = n
        case .seconds(let s): afterTime = s
        case nil: break
        }
        let recorder = StreamRecorder(record: record, stream: configuration.stream, hangUpAfterTokens: afterTokens)
        let task = http.execute(request: request, delegate: recorder)
        let timeout = TimeAmount.nanoseconds(Duration.seconds(clamping: configuration.timeoutSeconds).nanoseconds)
        let timer = task.futureResult.eventLoop.scheduleTask(in: timeout) {
            recorder.markTimedOut()
            task.cancel()
        }
        let hangUpTimer = afterTime.map { seconds in
            task.futureResult.eventLoop.scheduleTask(
                in: .nanoseconds(Duration.seconds(clamping: seconds).nanoseconds)
            ) {
                if recorder.markHungUp() { task.cancel() }
            }
        }
        let outcome: Result<RequestRecord, any Error>
        do {
            outcome = .success(
                try await withTaskCancellationHandler {
                    try await task.get()
                } onCancel: {
                    task.cancel()
                })
        } catch {
            outcome = .failure(error)
        }
        timer.cancel()
        hangUpTimer?.cancel()
        if let at = recorder.hungUpAt {
            var cut = recorder.snapshot()
            if cut.errorClass == nil {
                cut.errorClass = .hungUp
                cut.errorMessage = "the workload hung up (cancel_after \(hangUp.map(\.description) ?? "?"))"
            }
            cut.finished = at
            return cut
        }
        switch outcome {
        case .success(let record):
            return record
        case .failure(let error):
            var failed = recorder.snapshot()
            if failed.errorClass == nil {
                let (errorClass, message) =
                    recorder.timedOut
                    ? (.timeout, "no complete answer within \(configuration.timeoutSeconds) s")
                    : Self.classify(error, gotResponse: failed.status != nil)
                fail(&failed, errorClass, message)
            }
            failed.finished = .now()
            return failed
        }
    }

    func fail(_ record: inout RequestRecord, _ errorClass: ErrorClass, _ message: String) {
        if record.errorClass == nil {
            record.errorClass = errorClass
            record.errorMessage = message
        }
        record.finished = .now()
    }

    /// Maps a thrown error to its class and a message.
    static func classify(_ error: any Error, gotResponse: Bool) -> (ErrorClass, String) {
        if error is CancellationError { return (.cancelled, "cancelled") }
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return (.timeout, "timed out: \(e)")
            case .connectTimeout: return (.connect, "connect timed out")
            case .cancelled: return (.cancelled, "cancelled")
            case .remoteConnectionClosed:
                return (
                    gotResponse ? .malformedStream : .connect,
                    "server closed the connection" + (gotResponse ? " mid-stream" : "")
                )
            default: break
            }
        }
        if error is NIOConnectionError || error is ChannelError && !gotResponse {
            return (.connect, "cannot connect: \(error)")
        }
        if let io = error as? IOError, !gotResponse { return (.connect, "cannot connect: \(io)") }
        let text = String(describing: error)
        if !gotResponse, text.lowercased().contains("connect") || text.lowercased().contains("refused") {
            return (.connect, "cannot connect: \(text)")
        }
        return (gotResponse ? .malformedStream : .other, gotResponse ? "stream failed: \(text)" : text)
    }

    /// GETs `/v1/models` and returns the body as JSON text, or nil when it does not answer 200.
    func serverInfo() async -> String? {
        var request = HTTPClientRequest(url: baseURL + "/v1/models")
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .seconds(5)), response.status == .ok,
            let body = try? await response.body.collect(upTo: 1 << 20)
        else { return nil }
        return String(buffer: body)
    }
}

/// The per-request parsing state: SSE parser plus what the events said so far.
struct StreamState {
    var parser = SSEParser()
    var sawDone = false
    var contentEvents = 0

    mutating func handle(_ event: SSEParser.Event, at time: MonotonicInstant, into record: inout RequestRecord) {
        if event.isDone {
            sawDone = true
            record.events.append(StreamEvent(time: time, kind: .done, bytes: event.data.count))
            return
        }
        guard let chunk = StreamChunk.decode(event.data) else {
            record.events.append(StreamEvent(time: time, kind: .error, bytes: event.data.count))
            record.errorClass = .malformedStream
            record.errorMessage = "event \(record.events.count) is not JSON: \(event.text.prefix(120))"
            return
        }
        let kind: StreamEvent.Kind
        if event.type == "error" || chunk.errorMessage != nil {
            kind = .error
            record.errorClass = .serverError
            record.errorMessage = chunk.errorMessage ?? event.text
        } else if chunk.isContent {
            kind = .content
        } else if chunk.usage != nil || chunk.timings != nil {
            kind = .usage
        } else {
            kind = .other
        }
        record.events.append(StreamEvent(time: time, kind: kind, bytes: event.data.count))
        if kind == .content {
            contentEvents += 1
            if record.responseText != nil { record.responseText! += chunk.content }
        }
        if let reason = chunk.finishReason { record.finishReason = reason }
        if let usage = chunk.usage {
            record.usagePromptTokens = usage.promptTokens ?? record.usagePromptTokens
            record.usageCompletionTokens = usage.completionTokens ?? record.usageCompletionTokens
        }
        if let timings = chunk.timings { record.timings = timings }
    }

    /// Checks the stream ended properly.
    func finish(_ record: inout RequestRecord) {
        guard record.errorClass == nil else { return }
        if parser.hasPartialEvent {
            record.errorClass = .malformedStream
            record.errorMessage = "the stream ended inside an event (server closed it mid-stream)"
        } else if !sawDone && record.finishReason == nil {
            record.errorClass = .malformedStream
            record.errorMessage = "the stream ended before [DONE] (server closed it mid-stream)"
        }
    }
}
