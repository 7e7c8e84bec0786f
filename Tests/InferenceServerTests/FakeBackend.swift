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
    private let ids = Mutex<[String]>([])
    private let gate: Gate?

    /// `holding`: every request waits, before the engine would admit it, until `release()`.
    init(
        contextLength: Int = 256, tokenDelay: Duration = .zero, admissionDelay: Duration = .zero, holding: Bool = false
    ) {
        sequenceContextLength = contextLength
        self.tokenDelay = tokenDelay
        self.admissionDelay = admissionDelay
        gate = holding ? Gate() : nil
    }

    var snapshot: EngineSnapshot { state.withLock { $0 } }
    var requestsStarted: Int { started.withLock { $0 } }
    /// The ids of the requests the backend got (`GenerationRequest.id`), in arrival order.
    var requestIds: [String] { ids.withLock { $0 } }

    /// Lets every held request, and every later one, go on.
    func release() { gate?.open() }

    /// One token per byte-pair of text, so lengths are predictable.
    func tokenize(_ text: String) throws -> [Int32] {
        (0..<max(1, text.utf8.count / 2)).map { Int32($0) }
    }

    func applyChatTemplate(_ messages: [ChatMessage]) throws -> String {
        messages.map { "<\($0.role)>\($0.content)" }.joined() + "<assistant>"
    }

    /// The engine's own rule.
    func validate(_ request: GenerationRequest) throws(EngineError) {
        try request.validate(sequenceContextLength: sequenceContextLength)
    }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        started.withLock { $0 += 1 }
        ids.withLock { $0.append(request.id) }
        let delay = tokenDelay
        let admissionDelay = self.admissionDelay
        let gate = self.gate
        return AsyncThrowingStream { continuation in
            let task = Task {
                let arrival = request.arrival ?? .now()
                await gate?.wait()
                if admissionDelay > .zero { try await Task.sleep(for: admissionDelay) }
                let admitted = MonotonicInstant.now()
                continuation.yield(.admitted(queue: admitted - arrival, cachedTokens: 0))
                var first = MonotonicInstant.zero
                var last = MonotonicInstant.zero
                for index in 0..<request.maxTokens {
                    if delay > .zero { try await Task.sleep(for: delay) }
                    try Task.checkCancellation()
                    last = .now()
                    if first == .zero { first = last }
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

/// Closed until `open()`; then every waiter, and every later one, goes on.
private final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension FakeBackend {
    /// Waits up to `timeout` until `count` requests have reached the backend.
    func waitUntilStarted(_ count: Int, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while requestsStarted < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
