import Foundation
import HTTPTypes
import Hummingbird
import InferLabCore
import InferenceCore
import Logging
import NIOCore

/// Serves one generation request on any of the three endpoints: decoding, admission,
/// tokenization, the engine's check, then a streamed (SSE) or whole response. Each request runs in
/// one `RequestScope`.
struct CompletionHandler: Sendable {
    let configuration: ServerConfiguration
    let state: ServerState
    let admission: Admission
    let metrics: ServerMetrics
    let logger: Logger

    typealias Events = AsyncThrowingStream<GenerationEvent, any Error>

    /// The response, or the `APIError` Hummingbird answers with.
    func respond(to request: Request, context: some RequestContext, _ flavor: WireFlavor) async throws -> Response {
        let scope = RequestScope(flavor: flavor, admission: admission, metrics: metrics, logger: logger)
        do {
            return try await serve(request, context: context, scope: scope)
        } catch {
            throw scope.fail(error)
        }
    }

    private func serve(_ request: Request, context: some RequestContext, scope: RequestScope) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(
                .contentTooLarge, "the request body exceeds \(configuration.maxBodyBytes) bytes", code: "body_too_large"
            )
        }
        guard let backend = state.acceptingBackend else {
            let phase = state.name
            throw APIError(
                .serviceUnavailable, phase == "draining" ? "the server is shutting down" : "the model is \(phase)",
                type: "server_error", code: phase)
        }
        let wire = try WireRequest(scope.flavor, body: Data(buffer: body), servedModel: configuration.servedModelName)

        try scope.enter()
        let tokens: [Int32]
        switch wire.prompt {
        case .chat(let messages): tokens = try backend.tokenize(backend.applyChatTemplate(messages))
        case .text(let text): tokens = try backend.tokenize(text)
        }
        let maxTokens =
            wire.requestedMaxTokens
            ?? min(configuration.defaultMaxTokens, max(1, backend.sequenceContextLength - tokens.count))
        var generation = GenerationRequest(
            id: scope.id, promptTokens: tokens, maxTokens: maxTokens, sampling: wire.sampling, stop: wire.stop,
            arrival: scope.arrival)
        generation.ignoreEndOfGeneration = wire.ignoreEOS
        try backend.validate(generation)
        scope.charge(tokens: tokens.count)

        let events = backend.generate(generation)
        let reply = Reply(
            id: scope.id, flavor: scope.flavor, model: configuration.servedModelName,
            created: Int(Date().timeIntervalSince1970), includeUsage: wire.includeUsage)
        if wire.stream { return stream(events, reply: reply, scope: scope) }
        return try await whole(events, reply: reply, scope: scope).response(from: request, context: context)
    }

    // MARK: Whole responses

    private func whole(_ events: Events, reply: Reply, scope: RequestScope) async throws -> any ResponseGenerator {
        var text = ""
        var summary: GenerationSummary?
        var previous: MonotonicInstant?
        for try await event in events {
            switch event {
            case .admitted: scope.admitted()
            case .token(let token):
                text += token.text
                if let previous { metrics.tokenGap(token.time - previous) }
                previous = token.time
            case .finished(let finished):
                text += finished.trailingText
                summary = finished
            }
        }
        guard let summary else { throw APIError(.internalServerError, "generation ended without a result") }
        scope.end(.finished(summary))
        switch reply.flavor {
        case .generate:
            return WireGenerate(
                text: text, finishReason: summary.finishReason.wire, usage: WireUsage(summary),
                timings: WireTimings(summary, id: reply.id))
        case .chat, .completion:
            let choice = WireChoice(
                flavor: reply.flavor, text: text, role: true, finishReason: summary.finishReason.wire, complete: true)
            return reply.completion(
                [choice], usage: WireUsage(summary), timings: WireTimings(summary, id: reply.id), chunk: false)
        }
    }
}
