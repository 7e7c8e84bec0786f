import Foundation
import InferenceCore
import NIOCore

/// Builds the wire objects of one response (one id, one creation time).
struct Reply: Sendable {
    var id: String
    var flavor: WireFlavor
    var model: String
    var created: Int
    var includeUsage: Bool

    /// One encoder for every body and every event (the SSE writer is a hot path; `encode` keeps
    /// no state between calls).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// The comment sent while a stream waits for its first token.
    static let heartbeat = ByteBuffer(string: ": waiting\n\n")

    /// One SSE event: `data: <json>` and a blank line.
    func event(_ value: some Encodable) -> ByteBuffer {
        var buffer = ByteBuffer()
        append(value, to: &buffer)
        return buffer
    }

    private func append(_ value: some Encodable, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("data: ")
        buffer.writeBytes((try? Self.encoder.encode(value)) ?? Data("{}".utf8))
        buffer.writeStaticString("\n\n")
    }

    /// The last events of a stream: any text held back by a stop-string check, the finish reason
    /// and timings, the usage when asked for, and `[DONE]`.
    func ending(_ summary: GenerationSummary, roleSent: Bool) -> ByteBuffer {
        var buffer = ByteBuffer()
        if !summary.trailingText.isEmpty { append(piece(summary.trailingText, role: !roleSent), to: &buffer) }
        append(final(summary), to: &buffer)
        if includeUsage, flavor != .generate {
            append(
                completion([], usage: WireUsage(summary), timings: WireTimings(summary, id: id), chunk: true),
                to: &buffer)
        }
        buffer.writeStaticString("data: [DONE]\n\n")
        return buffer
    }

    func completion(_ choices: [WireChoice], usage: WireUsage? = nil, timings: WireTimings? = nil, chunk: Bool)
        -> WireCompletion
    {
        WireCompletion(
            id: id, object: chunk ? flavor.chunkObject : flavor.object, created: created, model: model,
            choices: choices, usage: usage, timings: timings)
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
                    timings: WireTimings(summary, id: id)))
        }
        let choice = WireChoice(
            flavor: flavor, text: flavor == .chat ? nil : "", role: false, finishReason: summary.finishReason.wire,
            complete: false)
        return AnyEncodable(completion([choice], timings: WireTimings(summary, id: id), chunk: true))
    }
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
