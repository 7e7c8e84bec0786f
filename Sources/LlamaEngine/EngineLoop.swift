import InferenceCore
import InferLabCore

/// The scheduling loop. Lives on the engine thread and is the only code touching the context.
///
/// Every step: take arrivals and cancellations, drop cancelled sequences (freeing their cells),
/// admit from the queue as the policy says, build one batch (one decode token per decoding
/// sequence, then prompt chunks), `llama_decode` it, sample, and stream the tokens.
final class EngineLoop {
    private let context: LlamaContext
    private let model: LlamaModel
    private let configuration: EngineConfiguration
    private let policy: SchedulerPolicy
    private let inbox: EngineInbox
    private let published: SnapshotCell
    private let batch: Batch
    private var waiting: [EngineJob] = []
    private var running: [ActiveSequence] = []
    /// Sequence ids and prefix-cache entries; the loop applies the KV operations it returns.
    private var slots: SequenceSlots
    /// The saved states of the host cache's entries (`SlotAction.save`), by entry.
    private var hostStates: [Int: [UInt8]] = [:]
    private var steps: UInt64 = 0
    /// Sequences still prefilling, in the order they get prompt tokens.
    private var prompts: PromptQueue<Int32>
    /// Seconds per token of recent steps, for `continuous`'s step-time target.
    private var stepCost = StepCostModel()
    private let stepTargetSeconds: Double
    private let stepLog: StepLog?
    /// Called after every successful decode (see `InferenceEngine.init`).
    private let afterDecode: (@Sendable (LlamaContext) -> Void)?

    init(
        context: LlamaContext, configuration: EngineConfiguration, inbox: EngineInbox, published: SnapshotCell,
        stepLog: StepLog? = nil, afterDecode: (@Sendable (LlamaContext) -> Void)? = nil
    ) {
        self.context = context
        model = context.model
        self.configuration = configuration
        self.inbox = inbox
        self.published = published
        policy = SchedulerPolicy(configuration: configuration.scheduler, maxBatchTokens: context.options.batchSize)
        batch = Batch(capacity: context.options.batchSize)
        slots = SequenceSlots(
            sequenceIds: configuration.sequenceIds, unifiedKV: context.options.unifiedKV,
            prefixCache: configuration.prefixCache, prefixCacheMinTokens: configuration.prefixCacheMinTokens,
            contextLength: context.contextLength, sequenceContextLength: context.sequenceContextLength,
            hostCacheBytes: configuration.prefixCacheHostMiB << 20)
        prompts = PromptQueue(quantum: policy.promptQuantum)
        stepTargetSeconds = Double(configuration.scheduler.stepTargetMilliseconds) / 1000
        self.stepLog = stepLog
        self.afterDecode = afterDecode
    }

    /// How long an idle `continuous` engine waits, after a request arrives, for the requests
    /// arriving with it: a closed loop's clients whose requests ended in the same step send their
    /// next ones within a millisecond or two, and prompts that start together are prefilled in one
    /// step and stay in step (as in llama-server), instead of the first one's prefill running
    /// alone and the wave coming apart.
    static let gatherWindow: Duration = .milliseconds(5)

    func run() {
        var deadline: MonotonicInstant?
        while true {
            let idle = running.isEmpty
            var taken = inbox.take(idle: idle, deadline: deadline)
            if idle, !taken.arrivals.isEmpty, !taken.stopping, policy.configuration.kind == .continuous {
                let more = inbox.gather(for: Self.gatherWindow)
                taken.arrivals += more.arrivals
                taken.cancelled.formUnion(more.cancelled)
                taken.stopping = taken.stopping || more.stopping
            }
            waiting.append(contentsOf: taken.arrivals)
            if !taken.cancelled.isEmpty { dropCancelled(taken.cancelled) }
            if taken.stopping {
                failAll(EngineError(.shuttingDown, "the engine is shutting down"))
                publish()
                return
            }
            deadline = admit()
            if !running.isEmpty {
                publish()  // health and metrics see admissions before a long decode starts
                step()
                // Finished sequences free slots: admit from the queue now, before the loop may
                // block waiting for arrivals (a closed-loop client sends none until it hears back).
                deadline = admit()
            }
            publish()
        }
    }

    // MARK: Admission

    /// Cells a job reserves in a unified cache (0 with a stream per sequence).
    private func reservation(_ job: EngineJob) -> Int {
        slots.reservation(promptTokens: job.request.promptTokens.count, maxTokens: job.request.maxTokens)
    }

    /// Admits what the policy allows; returns when to look again if it is waiting for a window.
    private func admit() -> MonotonicInstant? {
        guard !waiting.isEmpty else { return nil }
        let now = MonotonicInstant.now()
        while true {
            let items = waiting.prefix(policy.configuration.concurrency).map {
                WaitingItem(arrival: $0.arrival, cells: reservation($0))
            }
            let free = slots.freeCells
            switch policy.admission(waiting: Array(items), running: running.count, freeCells: free, now: now) {
            case .admit(let count):
                for job in waiting.prefix(count) { start(job, now: now) }
                waiting.removeFirst(count)
                return nil
            case .waitUntil(let time):
                return time
            case .none:
                // Make room by evicting cached prefixes when the head does not fit.
                if let head = items.first, running.count < policy.configuration.concurrency,
                    !policy.runsToCompletion || running.isEmpty, let eviction = slots.makeRoom(for: head.cells)
                {
                    apply([eviction])
                    continue
                }
                return nil
            }
        }
    }

    private func start(_ job: EngineJob, now: MonotonicInstant) {
        let slot = slots.assign(
            prompt: job.request.promptTokens, maxTokens: job.request.maxTokens,
            running: running.map { ($0.sequence, $0.history) })
        var cachedTokens = slot.cachedTokens
        if !apply(slot.actions) {
            // A host entry could not be restored: the prompt is prefilled from the start.
            context.removeSequence(slot.sequence)
            cachedTokens = 0
        }
        let sequence = ActiveSequence(
            job: job, sequence: slot.sequence, cachedTokens: cachedTokens, admitted: now,
            vocabularySize: model.vocabularySize)
        // Kept in sequence-id order: the order of the batch (see `step`).
        running.insert(sequence, at: running.firstIndex { $0.sequence > slot.sequence } ?? running.endIndex)
        prompts.add(slot.sequence)
        job.continuation.yield(
            .admitted(queue: now - job.arrival, cachedTokens: cachedTokens))
    }

    /// Applies KV operations in order; `false` when a host entry could not be restored.
    @discardableResult
    private func apply(_ actions: [SlotAction]) -> Bool {
        var restored = true
        for action in actions {
            switch action {
            case .remove(let sequence): context.removeSequence(sequence)
            case .truncate(let sequence, let position): context.truncateSequence(sequence, from: position)
            case .copy(let source, let target, let length): context.copySequence(source, to: target, length: length)
            case .save(let sequence, let entry):
                guard let state = context.saveSequence(sequence) else {
                    slots.hostFailed(entry: entry)
                    continue
                }
                hostStates[entry] = state
                for case .forget(let forgotten) in slots.hostSaved(entry: entry, bytes: state.count) {
                    hostStates[forgotten] = nil
                }
            case .restore(let entry, let sequence):
                guard let state = hostStates[entry], context.restoreSequence(state, to: sequence) else {
                    slots.hostFailed(entry: entry)
                    hostStates[entry] = nil
                    restored = false
                    continue
                }
            case .forget(let entry): hostStates[entry] = nil
            }
        }
        return restored
    }

    // MARK: One step

    private func step() {
        batch.clear()
        let decoding = running.filter { $0.isDecoding }
        let prefilling = prompts.order.compactMap { id in running.first { $0.sequence == id } }
        // The step-time bound protects streams mid-generation: those that were already streaming
        // when a prompt still prefilling arrived. Prompts that arrived together, before any of
        // their streams began, are prefilled at full speed even when the first of them has its
        // first token: nobody was streaming when they came.
        let newestPrompt = prefilling.map(\.job.arrival).max()
        let midGeneration = newestPrompt.map { newest in decoding.contains { $0.firstToken < newest } } ?? false
        let chunks = policy.prefillChunks(
            decoding: decoding.count, remaining: prefilling.map { $0.remainingPrompt },
            promptLimit: midGeneration
                ? stepCost.promptLimit(decoding: decoding.count, targetSeconds: stepTargetSeconds) : nil)
        prompts.headTook(chunks.first ?? 0)
        for (sequence, chunk) in zip(prefilling, chunks) { sequence.chunk = chunk }
        // The batch holds each sequence's tokens in sequence-id order (`running` is kept in that
        // order, see `start`; `SequenceSlots` hands out the smallest free id, so the ids are
        // consecutive). With a KV stream per sequence llama.cpp splits a batch into micro-batches
        // of sequences with consecutive ids in batch order (`split_equal`): out of order, every
        // decode token would be a micro-batch of its own, and a step would read the weights once
        // per sequence instead of once.
        var participants: [ActiveSequence] = []
        // Each sequence's part, for the step log only: without one a step allocates nothing more.
        let logging = stepLog != nil
        var shares: [StepShare] = []
        if logging { shares.reserveCapacity(running.count) }
        let stepStart = MonotonicInstant.now()
        for sequence in running where sequence.isDecoding || sequence.chunk > 0 {
            participants.append(sequence)
            guard !sequence.isDecoding else {
                if logging { shares.append(StepShare(id: sequence.job.request.id, decode: 1, prompt: 0)) }
                sequence.outputIndex = batch.add(
                    token: sequence.lastToken, position: Int32(sequence.history.count), sequence: sequence.sequence,
                    logits: true)
                sequence.history.append(sequence.lastToken)
                continue
            }
            let chunk = sequence.chunk
            sequence.chunk = 0
            if logging { shares.append(StepShare(id: sequence.job.request.id, decode: 0, prompt: chunk)) }
            if sequence.prefillStart == .zero { sequence.prefillStart = stepStart }
            let prompt = sequence.job.request.promptTokens
            let end = sequence.history.count + chunk
            for position in sequence.history.count..<end {
                let last = position == prompt.count - 1
                let index = batch.add(
                    token: prompt[position], position: Int32(position), sequence: sequence.sequence, logits: last)
                if last { sequence.outputIndex = index }
            }
            sequence.history.append(contentsOf: prompt[sequence.history.count..<end])
            if sequence.remainingPrompt <= 0 { prompts.remove(sequence.sequence) }
        }
        guard !batch.isEmpty else { return }
        steps += 1
        do {
            try context.decode(batch)
        } catch {
            // The batch's sequences cannot continue; everyone else can.
            for sequence in participants { finish(sequence, error: error) }
            return
        }
        afterDecode?(context)
        for sequence in running {
            guard let index = sequence.outputIndex else { continue }
            sequence.outputIndex = nil
            let token = sequence.sampler.sample(context, outputIndex: index)
            let now = MonotonicInstant.now()
            if sequence.firstToken == .zero { sequence.firstToken = now }
            sequence.lastTokenTime = now
            if !sequence.job.request.ignoreEndOfGeneration, model.isEndOfGeneration(token) {
                sequence.finishReason = .stop
                continue
            }
            let piece = model.withPieceBytes(token) { sequence.decoder.append($0) }
            let (text, stopped) = sequence.stopMatcher.feed(piece)
            sequence.job.continuation.yield(
                .token(GeneratedToken(token: token, text: text, index: sequence.generated, time: now)))
            sequence.generated += 1
            sequence.lastToken = token
            if stopped {
                sequence.finishReason = .stop
            } else if sequence.generated >= sequence.job.request.maxTokens {
                sequence.finishReason = .length
            } else if sequence.history.count + 1 > context.sequenceContextLength {
                sequence.finishReason = .contextLimit
            }
        }
        let seconds = stepStart.elapsed.seconds
        stepCost.observe(decodeTokens: decoding.count, promptTokens: batch.count - decoding.count, seconds: seconds)
        stepLog?.append(
            StepRecord(
                index: Int(steps), start: stepStart, durationMilliseconds: seconds * 1000,
                decodeTokens: decoding.count, promptTokens: batch.count - decoding.count,
                promptSequences: chunks.count { $0 > 0 }, running: running.count, waiting: waiting.count,
                requests: shares))
        for sequence in running where sequence.finishReason != nil { finish(sequence, error: nil) }
    }

    // MARK: Endings

    private func finish(_ sequence: ActiveSequence, error: (any Error)?) {
        running.removeAll { $0 === sequence }
        prompts.remove(sequence.sequence)
        if let error {
            apply(slots.release(sequence.sequence))
            sequence.job.continuation.finish(throwing: error)
            return
        }
        let trailing = sequence.stopMatcher.flush() + (sequence.finishReason == .stop ? "" : sequence.decoder.flush())
        sequence.job.continuation.yield(.finished(sequence.summary(trailingText: trailing)))
        sequence.job.continuation.finish()
        // The cells stay as a prefix-cache entry or are freed.
        apply(slots.finish(sequence.sequence, tokens: sequence.history))
    }

    private func dropCancelled(_ keys: Set<UInt64>) {
        waiting.removeAll { job in
            guard keys.contains(job.key) else { return false }
            job.continuation.finish(throwing: CancellationError())
            return true
        }
        for sequence in running where keys.contains(sequence.job.key) {
            running.removeAll { $0 === sequence }
            prompts.remove(sequence.sequence)
            apply(slots.release(sequence.sequence))
            sequence.job.continuation.finish(throwing: CancellationError())
        }
    }

    private func failAll(_ error: EngineError) {
        for job in waiting { job.continuation.finish(throwing: error) }
        waiting.removeAll()
        for sequence in running { finish(sequence, error: error) }
    }

    private func publish() {
        var snapshot = EngineSnapshot()
        snapshot.waiting = waiting.count
        snapshot.queuedPromptTokens = waiting.reduce(0) { $0 + $1.request.promptTokens.count }
        snapshot.running = running.count
        snapshot.prefilling = running.filter { !$0.isDecoding }.count
        snapshot.cellsUsed = slots.cellsUsed(running: running.map { ($0.history.count, $0.cachedTokens) })
        snapshot.cellsTotal = context.contextLength
        snapshot.cachedPrefixes = slots.cachedPrefixes
        snapshot.hostCachedPrefixes = slots.hostCachedPrefixes
        snapshot.hostCacheBytes = slots.hostCacheBytes
        snapshot.steps = steps
        published.value = snapshot
    }
}

/// Per-request state on the engine thread.
final class ActiveSequence {
    let job: EngineJob
    let sequence: Int32
    let cachedTokens: Int
    let admitted: MonotonicInstant
    let sampler: Sampler
    /// Tokens whose KV cells this sequence holds, in position order.
    var history: [Int32]
    var lastToken: Int32 = 0
    var generated = 0
    var decoder = TokenTextDecoder()
    var stopMatcher: StopMatcher
    var outputIndex: Int32?
    /// Prompt tokens this step gives the sequence (set by the step's budget, then used).
    var chunk = 0
    var finishReason: FinishReason?
    var prefillStart = MonotonicInstant.zero
    var firstToken = MonotonicInstant.zero
    var lastTokenTime = MonotonicInstant.zero

    init(job: EngineJob, sequence: Int32, cachedTokens: Int, admitted: MonotonicInstant, vocabularySize: Int) {
        self.job = job
        self.sequence = sequence
        self.cachedTokens = cachedTokens
        self.admitted = admitted
        sampler = Sampler(job.request.sampling, vocabularySize: vocabularySize)
        history = Array(job.request.promptTokens.prefix(cachedTokens))
        stopMatcher = StopMatcher(stops: job.request.stop)
    }

    var remainingPrompt: Int { job.request.promptTokens.count - history.count }
    /// Prompt fully processed and a first token sampled.
    var isDecoding: Bool { generated > 0 && remainingPrompt <= 0 }

    func summary(trailingText: String) -> GenerationSummary {
        GenerationSummary(
            finishReason: finishReason ?? .stop, promptTokens: job.request.promptTokens.count,
            cachedTokens: cachedTokens,
            completionTokens: generated, trailingText: trailingText, arrival: job.arrival, admitted: admitted,
            prefillStart: prefillStart == .zero ? admitted : prefillStart, firstToken: firstToken,
            lastToken: lastTokenTime)
    }
}
