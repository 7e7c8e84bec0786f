import AsyncHTTPClient
import InferLabCore
import NIOCore
import NIOHTTP1
import Synchronization

/// The response delegate of one request: parses the SSE bytes on the event loop as they are
/// read and stamps each event with `MonotonicInstant.now()` at that read.
final class StreamRecorder: HTTPClientResponseDelegate, Sendable {
    typealias Response = RequestRecord

    private struct State {
        var record: RequestRecord
        var stream = StreamState()
        var errorBody: [UInt8] = []
        var wholeBody: [UInt8] = []
        var timedOut = false
        var hungUp: MonotonicInstant?
        var done = false
    }

    private let state: Mutex<State>
    private let streaming: Bool
    /// Hang up after this many content events (the workload's `cancel_after` in tokens).
    private let hangUpAfterTokens: Int?

    init(record: RequestRecord, stream: Bool, hangUpAfterTokens: Int? = nil) {
        state = Mutex(State(record: record))
        streaming = stream
        self.hangUpAfterTokens = hangUpAfterTokens
    }

    /// Marks the hang-up (the caller then cancels the task); false when the request already ended.
    @discardableResult
    func markHungUp(at time: MonotonicInstant = .now()) -> Bool {
        state.withLock { s in
            guard s.hungUp == nil, !s.done, s.record.errorClass == nil else { return false }
            s.hungUp = time
            return true
        }
    }

    /// When the workload hung up, if it did.
    var hungUpAt: MonotonicInstant? { state.withLock { $0.hungUp } }

    /// The record as it stands (after a failure).
    func snapshot() -> RequestRecord { state.withLock { $0.record } }

    func markTimedOut() { state.withLock { $0.timedOut = true } }

    var timedOut: Bool { state.withLock { $0.timedOut } }

    func didReceiveHead(task: HTTPClient.Task<RequestRecord>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { s in
            s.record.status = Int(head.status.code)
            let contentType = head.headers.first(name: "content-type")?.lowercased() ?? ""
            if !(200..<300).contains(head.status.code) {
                s.record.errorClass = .httpStatus
                s.record.errorMessage = "HTTP \(head.status.code)"
            } else if streaming && !contentType.hasPrefix("text/event-stream") {
                s.record.errorClass = .malformedStream
                s.record.errorMessage = "expected text/event-stream, got '\(contentType)'"
            }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<RequestRecord>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let now = MonotonicInstant.now()
        let limit = hangUpAfterTokens
        let hangUp = state.withLock { s -> Bool in
            if s.record.errorClass == .httpStatus {
                if s.errorBody.count < 300 { s.errorBody += buffer.readableBytesView.prefix(300 - s.errorBody.count) }
                return false
            }
            guard s.record.errorClass == nil, s.hungUp == nil else { return false }
            if !streaming {
                s.wholeBody += buffer.readableBytesView
                return false
            }
            for event in s.stream.parser.feed(buffer.readableBytesView) {
                s.stream.handle(event, at: now, into: &s.record)
                if s.record.errorClass != nil { break }
                if let limit, s.stream.contentEvents >= limit, !s.stream.sawDone, s.record.finishReason == nil {
                    s.hungUp = now
                    return true
                }
            }
            return false
        }
        if hangUp { task.cancel() }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<RequestRecord>, _ error: any Error) {}

    func didFinishRequest(task: HTTPClient.Task<RequestRecord>) throws -> RequestRecord {
        let now = MonotonicInstant.now()
        return state.withLock { s in
            if s.record.errorClass == .httpStatus, !s.errorBody.isEmpty {
                s.record.errorMessage =
                    (s.record.errorMessage ?? "") + ": " + String(decoding: s.errorBody, as: UTF8.self)
            }
            if s.record.errorClass == nil {
                if streaming {
                    s.stream.finish(&s.record)
                } else {
                    s.stream.handle(SSEParser.Event(data: s.wholeBody), at: now, into: &s.record)
                    if s.record.errorClass == nil, s.record.events.last?.kind != .content,
                        s.record.usageCompletionTokens == nil
                    {
                        s.record.errorClass = .malformedStream
                        s.record.errorMessage = "the response body has no generated text"
                    }
                }
            }
            s.record.finished = now
            s.done = true
            return s.record
        }
    }
}
