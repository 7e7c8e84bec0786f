public import InferLabCore

/// A request waiting for admission, as the policy sees it.
public struct WaitingItem: Sendable, Equatable {
    /// When it arrived.
    public var arrival: MonotonicInstant
    /// KV cells it reserves when admitted (prompt plus completion budget).
    public var cells: Int

    public init(arrival: MonotonicInstant, cells: Int) {
        self.arrival = arrival
        self.cells = cells
    }
}

/// What the policy decides about the queue in one step.
public enum AdmissionDecision: Sendable, Equatable {
    /// Admit this many requests from the head of the queue.
    case admit(Int)
    /// Admit nothing now; look again at this time (a batch window closes) or earlier on arrival.
    case waitUntil(MonotonicInstant)
    /// Nothing to admit.
    case none
}

/// The batching policy: a pure value deciding admission and how a step's token budget is split.
///
/// The engine loop calls `admission` then `prefillChunks` every step; the same loop serves all
/// four policies. No I/O and no clock: `now` is an argument, so tests use a fake clock.
public struct SchedulerPolicy: Sendable, Equatable {
    public var configuration: SchedulerConfiguration
    /// Tokens one `llama_decode` accepts (`n_batch`).
    public var maxBatchTokens: Int

    public init(configuration: SchedulerConfiguration, maxBatchTokens: Int) {
        self.configuration = configuration
        self.maxBatchTokens = maxBatchTokens
    }

    /// Runs to completion: a new batch forms only when the running one is done.
    public var runsToCompletion: Bool { configuration.kind != .continuous }

    private var window: Duration {
        .milliseconds(
            configuration.kind == .static
                ? max(configuration.batchWaitMilliseconds, 1000) : configuration.batchWaitMilliseconds)
    }

    /// Decides how many queued requests to admit.
    ///
    /// - Parameters:
    ///   - waiting: the queue, oldest first.
    ///   - running: sequences admitted and not finished.
    ///   - freeCells: KV cells not reserved by running sequences.
    ///   - now: the current time.
    public func admission(waiting: [WaitingItem], running: Int, freeCells: Int, now: MonotonicInstant)
        -> AdmissionDecision
    {
        guard let oldest = waiting.first else { return .none }
        let limit = configuration.concurrency
        if runsToCompletion && running > 0 { return .none }
        let slots = limit - running
        guard slots > 0 else { return .none }
        // FIFO: admit from the head while the reservations fit; never skip ahead.
        var fitting = 0
        var cells = freeCells
        for item in waiting.prefix(slots) {
            guard item.cells <= cells else { break }
            cells -= item.cells
            fitting += 1
        }
        guard fitting > 0 else { return .none }
        switch configuration.kind {
        case .single, .continuous:
            return .admit(fitting)
        case .static, .dynamic:
            let deadline = oldest.arrival + window
            if fitting == limit || now >= deadline || fitting < min(waiting.count, limit) {
                // full batch, window closed, or the cache cannot take more anyway
                return .admit(fitting)
            }
            return .waitUntil(deadline)
        }
    }

    /// Prompt tokens a sequence may take before it goes behind the other prompts (`PromptQueue`):
    /// `batchTokens` for `continuous`; unbounded for the run-to-completion policies, which
    /// prefill in arrival order.
    public var promptQuantum: Int { configuration.kind == .continuous ? max(configuration.batchTokens, 1) : .max }

    /// Splits a step's prompt-token budget among sequences still prefilling, filling it in the
    /// order given (`PromptQueue.order`): each prompt takes what it needs of what is left. A step
    /// then carries one prompt's chunk, or two where one prompt ends. Equal shares of many
    /// prompts would cost more: llama.cpp splits a step into micro-batches that take the same
    /// number of tokens from each sequence, one micro-batch per distinct chunk length.
    ///
    /// - Parameters:
    ///   - decoding: sequences that take one decode token this step.
    ///   - remaining: prompt tokens still to process per prefilling sequence, in queue order.
    ///   - promptLimit: for `continuous`, the most prompt tokens this step may carry to stay within
    ///     the step-time target (`StepCostModel.promptLimit`); `nil`: the token budget alone.
    /// - Returns: tokens to take from each prefilling sequence this step (same order), possibly 0.
    public func prefillChunks(decoding: Int, remaining: [Int], promptLimit: Int? = nil) -> [Int] {
        let capacity = maxBatchTokens - decoding
        var left =
            configuration.kind == .continuous
            ? min(capacity, max(configuration.batchTokens - decoding, 1), promptLimit ?? .max) : capacity
        var chunks = [Int](repeating: 0, count: remaining.count)
        for index in remaining.indices where left > 0 {
            let take = min(max(remaining[index], 0), left)
            chunks[index] = take
            left -= take
        }
        return chunks
    }
}
