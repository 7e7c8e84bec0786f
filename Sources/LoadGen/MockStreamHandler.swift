import InferLabCore
import NIOCore
import NIOHTTP1

/// The per-connection handler of ``MockOpenAIServer``: answers `/v1/models`, `/health`, and
/// streams completions on the event loop with timers at absolute deadlines (no drift).
final class MockStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let behavior: MockOpenAIServer.Behavior
    let log: SendLog
    private var head: HTTPRequestHead?
    private var streaming = false

    init(behavior: MockOpenAIServer.Behavior, log: SendLog) {
        self.behavior = behavior
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head, !streaming else { return }
            self.head = nil
            respond(context: context, head: head)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.GET, "/v1/models"):
            sendWhole(
                context, .ok, "application/json",
                #"{"object":"list","data":[{"id":"mock","object":"model","owned_by":"inferlab"}]}"#)
        case (.GET, "/health"):
            sendWhole(context, .ok, "application/json", #"{"status":"ok"}"#)
        case (.POST, "/v1/chat/completions"), (.POST, "/v1/completions"), (.POST, "/generate"):
            stream(context, chat: path == "/v1/chat/completions")
        default:
            sendWhole(context, .notFound, "application/json", #"{"error":{"message":"not found","code":404}}"#)
        }
    }

    private func sendWhole(
        _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ type: String, _ body: String
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func stream(_ context: ChannelHandlerContext, chat: Bool) {
        switch behavior.mode {
        case .httpError(let status):
            sendWhole(
                context, HTTPResponseStatus(statusCode: status), "application/json",
                #"{"error":{"message":"mock error","type":"server_error","code":\#(status)}}"#)
            return
        case .notSSE:
            sendWhole(context, .ok, "text/html", "<html><body>not an event stream</body></html>")
            return
        default: break
        }
        streaming = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let token = ByteBuffer(string: MockEvents.content(chat: chat))
        var times: [MonotonicInstant] = []
        times.reserveCapacity(behavior.tokens)
        let start = NIODeadline.now()
        let loop = context.eventLoop.assumeIsolated()
        let behavior = self.behavior

        func emit(_ index: Int) -> Bool {
            switch behavior.mode {
            case .closeMidStream(let after) where index >= after:
                context.close(promise: nil)
                return false
            case .malformedChunk(let at) where index == at:
                context.write(
                    wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: {not json\n\n")))), promise: nil)
            case .errorEvent(let at) where index == at:
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: MockEvents.error)))), promise: nil)
                finish(context, chat: chat, tokens: index, times: times, usage: false)
                return false
            default:
                context.write(wrapOutboundOut(.body(.byteBuffer(token))), promise: nil)
            }
            return true
        }

        func step(_ index: Int) {
            guard index < behavior.tokens else {
                finish(context, chat: chat, tokens: behavior.tokens, times: times, usage: true)
                return
            }
            if behavior.interval <= .zero {
                let now = MonotonicInstant.now()
                var i = index
                let end = min(index + max(1, behavior.eventsPerWrite), behavior.tokens)
                while i < end {
                    guard emit(i) else { return }
                    i += 1
                }
                context.flush()
                for _ in index..<end { times.append(now) }
                loop.execute { step(end) }
                return
            }
            let now = MonotonicInstant.now()
            guard emit(index) else { return }
            times.append(now)
            context.flush()
            let next = start + .nanoseconds(behavior.interval.nanoseconds * Int64(index + 2))
            loop.scheduleTask(deadline: next) { step(index + 1) }
        }
        loop.scheduleTask(deadline: start + .nanoseconds(behavior.interval.nanoseconds)) { step(0) }
    }

    private func finish(
        _ context: ChannelHandlerContext, chat: Bool, tokens: Int, times: [MonotonicInstant], usage: Bool
    ) {
        var tail = MockEvents.finish(chat: chat)
        if usage {
            let ms = times.count > 1 ? (times[times.count - 1] - times[0]).milliseconds : 0
            tail += MockEvents.usage(tokens: tokens, predictedMs: ms)
        }
        tail += "data: [DONE]\n\n"
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: tail)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        streaming = false
        log.append(times)
    }
}

/// The SSE texts the mock sends, shaped like llama-server's.
enum MockEvents {
    static func content(chat: Bool) -> String {
        chat
            ? #"data: {"id":"mock","object":"chat.completion.chunk","model":"mock","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}]}"#
                + "\n\n"
            : #"data: {"id":"mock","object":"text_completion","model":"mock","choices":[{"index":0,"text":" tok","finish_reason":null}]}"#
                + "\n\n"
    }

    static func finish(chat: Bool) -> String {
        chat
            ? #"data: {"id":"mock","object":"chat.completion.chunk","model":"mock","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#
                + "\n\n"
            : #"data: {"id":"mock","object":"text_completion","model":"mock","choices":[{"index":0,"text":"","finish_reason":"length"}]}"#
                + "\n\n"
    }

    static func usage(tokens: Int, predictedMs: Double) -> String {
        let rate = predictedMs > 0 ? Double(tokens) / predictedMs * 1000 : 0
        return
            #"data: {"id":"mock","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":\#(tokens),"total_tokens":\#(tokens + 8)},"timings":{"prompt_n":8,"cache_n":0,"prompt_ms":0.1,"predicted_n":\#(tokens),"predicted_ms":\#(predictedMs),"predicted_per_second":\#(rate)}}"#
            + "\n\n"
    }

    static let error =
        #"data: {"error":{"message":"mock failure mid-stream","type":"server_error","code":500}}"# + "\n\n"
}
