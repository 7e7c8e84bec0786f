public import InferenceCore
import Foundation
import InferLabCore
import Synchronization

/// The one owner of a `llama_context`: a dedicated thread running the scheduling loop.
///
/// Callers submit immutable `GenerationRequest`s and read `GenerationEvent`s from an
/// `AsyncThrowingStream`; ending the stream early (the consumer is cancelled or drops it) cancels
/// the request, and the loop frees its KV cells within one step. Health checks and metrics read
/// `snapshot`, which the loop publishes after every step, so they never wait for a decode.
public final class InferenceEngine: Sendable {
    public let model: LlamaModel
    public let configuration: EngineConfiguration
    /// Total KV cells.
    public let contextLength: Int
    /// Cells one sequence may use: prompt plus completion must fit.
    public let sequenceContextLength: Int
    /// The flash-attention setting the context runs with, and for `auto` the measurement behind it.
    public let flashAttention: FlashAttentionDecision

    private let inbox: EngineInbox
    private let published: SnapshotCell
    private let stopped: DispatchSemaphore
    private let nextKey = Atomic<UInt64>(1)

    /// Creates the context and starts the engine thread.
    public convenience init(model: LlamaModel, configuration: EngineConfiguration) throws(EngineError) {
        try self.init(model: model, configuration: configuration, afterDecode: nil)
    }

    /// `afterDecode` runs on the engine thread after every successful `llama_decode`, with the
    /// context (`LocalGeneration` reads the KV cache's depth there).
    init(
        model: LlamaModel, configuration: EngineConfiguration,
        afterDecode: (@Sendable (LlamaContext) -> Void)?
    ) throws(EngineError) {
        try configuration.validate()
        var contextOptions = configuration.context
        contextOptions.sequences = configuration.sequenceIds
        contextOptions.batchSize = configuration.effectiveBatchSize
        let stepLog = try configuration.stepLog.map { (path) throws(EngineError) in try StepLog(path: path) }
        let sequenceContext =
            contextOptions.unifiedKV
            ? contextOptions.contextLength : contextOptions.contextLength / max(contextOptions.sequences, 1)
        let decision = FlashAttentionCalibration.resolve(
            model: model, options: contextOptions, sequenceContext: sequenceContext)
        contextOptions.flashAttention = decision.chosen
        let context = try LlamaContext(model: model, options: contextOptions)
        flashAttention = decision
        self.model = model
        self.configuration = configuration
        contextLength = context.contextLength
        sequenceContextLength = context.sequenceContextLength
        inbox = EngineInbox()
        var initial = EngineSnapshot()
        initial.cellsTotal = contextLength
        published = SnapshotCell(initial)
        stopped = DispatchSemaphore(value: 0)

        let loop = UncheckedBox(
            EngineLoop(
                context: context, configuration: configuration, inbox: inbox, published: published, stepLog: stepLog,
                afterDecode: afterDecode))
        let done = stopped
        let thread = Thread {
            // Foundation does not pass a Thread's name to the kernel on Linux: profiles and the
            // scheduler trace read the kernel's.
            ComputeThreadNames.rename("/proc/thread-self/comm", to: "inferlab-engine")
            loop.value.run()
            done.signal()
        }
        thread.name = "inferlab-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        inbox.stop()
    }

    /// The state after the latest step. Never blocks on the loop.
    public var snapshot: EngineSnapshot { published.value }

    /// Queues a request. Throws (through the stream) `invalidParameter` or `promptTooLong`
    /// without queueing when the request cannot run.
    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: GenerationEvent.self, throwing: (any Error).self)
        do {
            try validate(request)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let key = nextKey.wrappingAdd(1, ordering: .relaxed).oldValue
        let inbox = self.inbox
        continuation.onTermination = { termination in
            if case .cancelled = termination { inbox.cancel(key) }
        }
        let arrival = request.arrival ?? .now()
        inbox.submit(EngineJob(key: key, request: request, arrival: arrival, continuation: continuation))
        return stream
    }

    /// Checks a request against the sampling rules and the context size: the prompt plus
    /// `max_tokens` must fit in one sequence's context. This is the one check of it: the server
    /// calls it (through `GenerationBackend`) before it answers, and `generate` before it queues.
    public func validate(_ request: GenerationRequest) throws(EngineError) {
        try request.validate(sequenceContextLength: sequenceContextLength)
    }

    /// Stops the loop: queued and running requests end with a `shuttingDown` error. Waits for the
    /// thread to exit. Safe to call more than once.
    public func shutdown() {
        guard inbox.stop() else { return }
        stopped.wait()
    }
}

/// A job as it travels from a caller to the engine thread.
struct EngineJob: Sendable {
    let key: UInt64
    let request: GenerationRequest
    let arrival: MonotonicInstant
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
}

/// The only state shared between callers and the engine thread, behind one lock.
final class EngineInbox: @unchecked Sendable {
    let condition = NSCondition()
    private var arrivals: [EngineJob] = []
    private var cancelled: Set<UInt64> = []
    private var stopping = false

    func submit(_ job: EngineJob) {
        condition.lock()
        defer { condition.unlock() }
        if stopping {
            job.continuation.finish(throwing: EngineError(.shuttingDown, "the engine is shutting down"))
            return
        }
        arrivals.append(job)
        condition.signal()
    }

    func cancel(_ key: UInt64) {
        condition.lock()
        cancelled.insert(key)
        condition.signal()
        condition.unlock()
    }

    /// Returns false when already stopping.
    @discardableResult
    func stop() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        stopping = true
        condition.signal()
        return true
    }

    /// Waits `window` (or until stopping), then takes what arrived.
    func gather(for window: Duration) -> (arrivals: [EngineJob], cancelled: Set<UInt64>, stopping: Bool) {
        condition.lock()
        defer { condition.unlock() }
        let end = Date(timeIntervalSinceNow: window.seconds)
        while !stopping, Date() < end {
            _ = condition.wait(until: end)
        }
        let taken = (arrivals, cancelled, stopping)
        arrivals.removeAll()
        cancelled.removeAll()
        return taken
    }

    /// Takes what arrived. When `idle`, first waits for something to arrive (until `deadline`).
    func take(idle: Bool, deadline: MonotonicInstant?) -> (
        arrivals: [EngineJob], cancelled: Set<UInt64>, stopping: Bool
    ) {
        condition.lock()
        defer { condition.unlock() }
        if idle && arrivals.isEmpty && cancelled.isEmpty && !stopping {
            if let deadline {
                let now = MonotonicInstant.now()
                if deadline > now {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: (deadline - now).seconds))
                }
            } else {
                condition.wait()
            }
        }
        let taken = (arrivals, cancelled, stopping)
        arrivals.removeAll()
        cancelled.removeAll()
        return taken
    }
}

/// The latest published snapshot.
final class SnapshotCell: Sendable {
    private let mutex: Mutex<EngineSnapshot>
    init(_ initial: EngineSnapshot) { mutex = Mutex(initial) }
    var value: EngineSnapshot {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}

/// Moves a non-Sendable value to the thread that will own it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
