import Foundation
import InferLabCore
import InferenceServer
import InferenceCore
import Synchronization

/// A backend that streams canned words: one token per whitespace-separated word of the prompt's
/// reply ("w0 w1 ..."), for router tests without a model.
final class FakeBackend: GenerationBackend, Sendable {
    let sequenceContextLength: Int
    let tokenDelay: Duration
    let admissionDelay: Duration
    private let state = Mutex(EngineSnapshot())
    private let started = Mutex(0)

    init(contextLength: Int = 256, tokenDelay: Duration = .zero, admissionDelay: Duration = .zero) {
        sequenceContextLength = contextLength
        self.tokenDelay = tokenDelay
        self.admissionDelay = admissionDelay
    }

    var snapshot: EngineSnapshot { state.withLock { $0 } }
    var requestsStarted: Int { started.withLock { $0 } }

    /// One token per byte-pair of text, so lengths are predictable.
    func tokenize(_ text: String) throws -> [Int32] {
        (0..<max(1, text.utf8.count / 2)).map { Int32($0) }
    }

    func applyChatTemplate(_ messages: [ChatMessage]) throws -> String {
        messages.map { "<\($0.role)>\($0.content)" }.joined() + "<assistant>"
    }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        started.withLock { $0 += 1 }
        let delay = tokenDelay
        let admissionDelay = self.admissionDelay
        return AsyncThrowingStream { continuation in
            let task = Task {
                let arrival = request.arrival ?? MonotonicClock.now()
                if admissionDelay > .zero { try await Task.sleep(for: admissionDelay) }
                let admitted = MonotonicClock.now()
                continuation.yield(.admitted(queueMilliseconds: 0, cachedTokens: 0))
                var first: UInt64 = 0
                var last: UInt64 = 0
                for index in 0..<request.maxTokens {
                    if delay > .zero { try await Task.sleep(for: delay) }
                    try Task.checkCancellation()
                    last = MonotonicClock.now()
                    if first == 0 { first = last }
                    continuation.yield(
                        .token(GeneratedToken(token: Int32(index), text: "w\(index) ", index: index, time: last)))
                }
                continuation.yield(
                    .finished(
                        GenerationSummary(
                            finishReason: .length, promptTokens: request.promptTokens.count, cachedTokens: 0,
                            completionTokens: request.maxTokens, trailingText: "", arrival: arrival, admitted: admitted,
                            prefillStart: admitted, firstToken: first, lastToken: last)))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func shutdown() {}
}
