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
    }

    private let state: Mutex<State>
    private let streaming: Bool

    init(record: RequestRecord, stream: Bool) {
        state = Mutex(State(record: record))
        streaming = stream
    }

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
        state.withLock { s in
            if s.record.errorClass == .httpStatus {
                if s.errorBody.count < 300 { s.errorBody += buffer.readableBytesView.prefix(300 - s.errorBody.count) }
                return
            }
            guard s.record.errorClass == nil else { return }
            if !streaming {
                s.wholeBody += buffer.readableBytesView
                return
            }
            for event in s.stream.parser.feed(buffer.readableBytesView) {
                s.stream.handle(event, at: now, into: &s.record)
                if s.record.errorClass != nil { break }
            }
        }
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
            return s.record
        }
    }
}
