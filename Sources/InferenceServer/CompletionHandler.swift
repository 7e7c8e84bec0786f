import Foundation
import HTTPTypes
import Hummingbird
import InferLabCore
import InferenceCore
import Logging
import NIOCore

/// Serves one generation request on any of the three endpoints: validation, admission,
/// tokenization, then a streamed (SSE) or whole response. One streaming entry point for all.
struct CompletionHandler: Sendable {
    let configuration: ServerConfiguration
    let state: ServerState
    let admission: Admission
    let metrics: ServerMetrics
    let logger: Logger

    /// A parsed request before tokenization.
    struct Parsed {
        var prompt: Prompt
        var model: String?
        var sampling: WireSampling

        enum Prompt {
            case chat([ChatMessage])
            case text(String)
        }
    }

    func handle(_ flavor: WireFlavor, body: ByteBuffer) async -> Response {
        let arrival = MonotonicClock.now()
        let id =
            (flavor == .chat ? "chatcmpl-" : "cmpl-")
            + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)
        do {
            return try await serve(flavor, body: body, id: String(id), arrival: arrival)
        } catch {
            metrics.request(status: Int(error.status.code))
            logger.info(
                "request", metadata: ["id": "\(id)", "status": "\(error.status.code)", "error": "\(error.message)"])
            return errorResponse(error)
        }
    }

    private func serve(_ flavor: WireFlavor, body: ByteBuffer, id: String, arrival: UInt64) async throws(APIError)
        -> Response
    {
        guard let backend = state.acceptingBackend else {
            let phase = state.name
            throw APIError(
                .serviceUnavailable, phase == "draining" ? "the server is shutting down" : "the model is \(phase)",
                type: "server_error", code: phase)
        }
        let parsed = try parse(flavor, body: body)
        if let model = parsed.model, flavor != .generate, model != configuration.servedModelName {
            throw APIError(
                .notFound, "the model '\(model)' does not exist; this server serves '\(configuration.servedModelName)'",
                param: "model", code: "model_not_found")
        }
        let (sampling, requestedMaxTokens, stop) = try parsed.sampling.parameters()

        let entry = admission.enter()
        guard var ticket = entry.ticket else {
            metrics.rejection(reason: "queue_full")
            throw APIError(
                .tooManyRequests, entry.rejection ?? "too many requests", type: "rate_limit_error", code: "queue_full")
        }
        var released = false
        func release() {
            if !released {
                released = true
                admission.leave(ticket)
            }
        }
        let tokens: [Int32]
        do {
            switch parsed.prompt {
            case .chat(let messages): tokens = try backend.tokenize(backend.applyChatTemplate(messages))
            case .text(let text):
                guard !text.isEmpty else { throw APIError.invalid("prompt must not be empty", param: "prompt") }
                tokens = try backend.tokenize(text)
            }
        } catch let error as APIError {
            release()
            throw error
        } catch let error as EngineError {
            release()
            throw APIError(error)
        } catch {
            release()
            throw APIError(.badRequest, "cannot tokenize the prompt: \(error)")
        }
        let context = backend.sequenceContextLength
        let maxTokens = requestedMaxTokens ?? min(configuration.defaultMaxTokens, context - tokens.count)
        guard tokens.count + maxTokens <= context, maxTokens >= 1 else {
            release()
            throw APIError(
                .badRequest,
                "this request needs \(tokens.count + maxTokens) tokens of context (n_prompt_tokens \(tokens.count) + "
                    + "max_tokens \(maxTokens)) but n_ctx is \(context); shorten the prompt or lower max_tokens",
                param: flavor == .chat ? "messages" : "prompt", code: "context_length_exceeded")
        }
        admission.charge(&ticket, tokens: tokens.count)
        var request = GenerationRequest(
            id: id, promptTokens: tokens, maxTokens: maxTokens, sampling: sampling, stop: stop, arrival: arrival)
        request.ignoreEndOfGeneration = parsed.sampling.ignoreEOS ?? false
        let events = backend.generate(request)
        let reply = Reply(
            id: id, flavor: flavor, model: configuration.servedModelName, created: Int(Date().timeIntervalSince1970),
            includeUsage: parsed.sampling.streamOptions?.includeUsage ?? false)
        let ticketCopy = ticket
        if parsed.sampling.stream ?? false {
            released = true  // the stream releases it from here on
            return stream(events, reply: reply, ticket: ticketCopy, arrival: arrival)
        }
        defer { release() }
        return try await whole(events, reply: reply, arrival: arrival, admitted: release)
    }

    private func parse(_ flavor: WireFlavor, body: ByteBuffer) throws(APIError) -> Parsed {
        let data = Data(buffer: body)
        switch flavor {
        case .chat:
            let request = try decodeBody(ChatCompletionRequest.self, from: data)
            return Parsed(
                prompt: .chat(try request.validatedMessages()), model: request.model, sampling: request.sampling)
        case .completion, .generate:
            let request = try decodeBody(CompletionRequest.self, from: data)
            return Parsed(prompt: .text(request.prompt), model: request.model, sampling: request.sampling)
        }
    }

    // MARK: Whole responses

    private func whole(
        _ events: AsyncThrowingStream<GenerationEvent, any Error>, reply: Reply, arrival: UInt64, admitted: () -> Void
    ) async throws(APIError) -> Response {
        var text = ""
        var summary: GenerationSummary?
        var previous: UInt64?
        do {
            for try await event in events {
                switch event {
                case .admitted: admitted()
                case .token(let token):
                    text += token.text
                    if let previous { metrics.tokenGap(nanoseconds: token.time &- previous) }
                    previous = token.time
                case .finished(let finished):
                    text += finished.trailingText
                    summary = finished
                }
            }
        } catch let error as EngineError {
            throw APIError(error)
        } catch {
            throw APIError(.internalServerError, "generation failed: \(error)")
        }
        guard let summary else { throw APIError(.internalServerError, "generation ended without a result") }
        finished(reply, summary: summary, status: 200)
        let body: Data
        switch reply.flavor {
        case .generate:
            body = reply.encode(
                WireGenerate(
                    text: text, finishReason: summary.finishReason.wire, usage: WireUsage(summary),
                    timings: WireTimings(summary)))
        case .chat, .completion:
            body = reply.encode(
                reply.completion(
                    [
                        WireChoice(
                            flavor: reply.flavor, text: text, role: true, finishReason: summary.finishReason.wire,
                            complete: true)
                    ],
                    usage: WireUsage(summary), timings: WireTimings(summary), chunk: false))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(data: body)))
    }

    // MARK: Streams

    private enum Item: Sendable {
        case event(GenerationEvent)
        case failed(any Error)
        case heartbeat
    }

    private func stream(
        _ events: AsyncThrowingStream<GenerationEvent, any Error>, reply: Reply, ticket: Admission.Ticket,
        arrival: UInt64
    ) -> Response {
        let handler = self
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let (items, feed) = AsyncStream.makeStream(of: Item.self)
                // The engine's events, and a heartbeat comment while waiting for the first token so a
                // client that went away is noticed (the write fails) while queued or prefilling.
                let producer = Task {
                    do {
                        for try await event in events { feed.yield(.event(event)) }
                    } catch {
                        feed.yield(.failed(error))
                    }
                    feed.finish()
                }
                let heartbeat = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(50))
                        feed.yield(.heartbeat)
                    }
                }
                var released = false
                var firstSent = false
                var disconnected = false
                var summary: GenerationSummary?
                var previous: UInt64?
                func write(_ data: Data) async -> Bool {
                    do {
                        try await writer.write(ByteBuffer(data: data))
                        return true
                    } catch {
                        disconnected = true
                        return false
                    }
                }
                loop: for await item in items {
                    switch item {
                    case .heartbeat:
                        if !firstSent, !(await write(Data(": waiting\n\n".utf8))) { break loop }
                    case .event(.admitted):
                        if !released {
                            released = true
                            handler.admission.leave(ticket)
                        }
                    case .event(.token(let token)):
                        if let previous { handler.metrics.tokenGap(nanoseconds: token.time &- previous) }
                        previous = token.time
                        guard !token.text.isEmpty else { continue }
                        let role = !firstSent
                        firstSent = true
                        heartbeat.cancel()
                        if !(await write(reply.event(reply.piece(token.text, role: role)))) { break loop }
                    case .event(.finished(let finished)):
                        summary = finished
                        heartbeat.cancel()
                        var out = Data()
                        if !finished.trailingText.isEmpty {
                            out += reply.event(reply.piece(finished.trailingText, role: !firstSent))
                        }
                        out += reply.event(reply.final(finished))
                        if reply.includeUsage, reply.flavor != .generate {
                            out += reply.event(
                                reply.completion(
                                    [], usage: WireUsage(finished), timings: WireTimings(finished), chunk: true))
                        }
                        out += Data("data: [DONE]\n\n".utf8)
                        _ = await write(out)
                    case .failed(let error):
                        let apiError =
                            (error as? EngineError).map(APIError.init) ?? APIError(.internalServerError, "\(error)")
                        _ = await write(reply.event(apiError.body))
                        handler.logger.info(
                            "request",
                            metadata: ["id": "\(reply.id)", "status": "error", "error": "\(apiError.message)"])
                        handler.metrics.request(status: Int(apiError.status.code))
                    }
                }
                producer.cancel()  // ends the engine stream: the sequence is dropped and its cells freed
                heartbeat.cancel()
                if !released { handler.admission.leave(ticket) }
                if disconnected && summary == nil {
                    handler.metrics.cancellation()
                    handler.metrics.request(status: 499)
                    handler.logger.info(
                        "request", metadata: ["id": "\(reply.id)", "status": "499", "error": "client disconnected"])
                    return
                }
                if let summary { handler.finished(reply, summary: summary, status: 200) }
                try? await writer.finish(nil)
            })
    }

    private func finished(_ reply: Reply, summary: GenerationSummary, status: Int) {
        metrics.request(status: status)
        metrics.finished(summary)
        logger.info(
            "request",
            metadata: [
                "id": "\(reply.id)", "status": "\(status)", "prompt_tokens": "\(summary.promptTokens)",
                "cached_tokens": "\(summary.cachedTokens)", "completion_tokens": "\(summary.completionTokens)",
                "ttft_ms": "\(String(format: "%.1f", Double(summary.firstToken &- summary.arrival) / 1e6))",
                "e2e_ms": "\(String(format: "%.1f", Double(summary.lastToken &- summary.arrival) / 1e6))",
                "finish": "\(summary.finishReason.rawValue)",
            ])
    }

    private func errorResponse(_ error: APIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.status == .tooManyRequests { headers[.retryAfter] = "1" }
        let data = (try? JSONEncoder().encode(error.body)) ?? Data()
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}

/// Builds the wire objects of one response (one id, one creation time).
struct Reply: Sendable {
    var id: String
    var flavor: WireFlavor
    var model: String
    var created: Int
    var includeUsage: Bool

    /// One encoder for every event of every response (the SSE writer is a hot path;
    /// `encode` keeps no state between calls).
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    func encode(_ value: some Encodable) -> Data {
        (try? Self.encoder.encode(value)) ?? Data("{}".utf8)
    }

    func event(_ value: some Encodable) -> Data {
        Data("data: ".utf8) + encode(value) + Data("\n\n".utf8)
    }

    func completion(_ choices: [WireChoice], usage: WireUsage? = nil, timings: WireTimings? = nil, chunk: Bool)
        -> WireCompletion
    {
        WireCompletion(
            id: id, object: chunk ? flavor.chunkObject : flavor.object, created: created, model: model,
            choices: choices,
            usage: usage, timings: timings)
    }

    /// A streamed text piece.
    func piece(_ text: String, role: Bool) -> AnyEncodable {
        if flavor == .generate { return AnyEncodable(WireGenerate(text: text)) }
        return AnyEncodable(
            completion(
                [WireChoice(flavor: flavor, text: text, role: role, finishReason: nil, complete: false)], chunk: true))
    }

    /// The last choice chunk: the finish reason and the timings.
    func final(_ summary: GenerationSummary) -> AnyEncodable {
        if flavor == .generate {
            return AnyEncodable(
                WireGenerate(
                    text: "", finishReason: summary.finishReason.wire, usage: WireUsage(summary),
                    timings: WireTimings(summary)))
        }
        let choice = WireChoice(
            flavor: flavor, text: flavor == .chat ? nil : "", role: false, finishReason: summary.finishReason.wire,
            complete: false)
        return AnyEncodable(completion([choice], timings: WireTimings(summary), chunk: true))
    }
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
