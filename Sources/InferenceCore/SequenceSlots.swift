/// A KV-cache operation the engine loop applies to the context, in the order given.
public enum SlotAction: Sendable, Equatable {
    /// Free every cell of a sequence.
    case remove(Int32)
    /// Free the cells of a sequence from a position on.
    case truncate(Int32, from: Int32)
    /// Give `to` the cells of positions `0..<length` of `from`: shared in a unified cache; with
    /// a stream per sequence the stream is copied and the copy truncated at `length`.
    case copy(from: Int32, to: Int32, length: Int32)
    /// Save the state of a sequence in host memory as an entry (`llama_state_seq_get_data`), then
    /// report its size (`SequenceSlots.hostSaved`).
    case save(Int32, entry: Int)
    /// Load a host entry's state into an empty sequence (`llama_state_seq_set_data`).
    case restore(entry: Int, to: Int32)
    /// Drop a host entry's bytes.
    case forget(entry: Int)
}

/// The sequence ids of a context and the prefix-cache entries their KV cells hold.
///
/// A pure value: it decides which id an admitted request gets and how many of its prompt tokens
/// the cache already holds, and what becomes of an id when its sequence ends; the engine loop
/// applies the returned `SlotAction`s to the context. Two layouts:
///
/// - A KV stream per sequence (the default): a finished sequence's id keeps its cells and tokens
///   (an idle stream, the cache's entry) until a request sharing a prefix takes it in place (as
///   llama-server's slots do) or the id is needed for another request. A shared prefix of a
///   running sequence is copied into a free stream (copy-on-use).
///   With a host cache (`hostCacheBytes`), an idle stream cleared for another request is first
///   saved to host memory, so a returning session (or a prompt sharing its prefix) restores it
///   instead of prefilling again: sessions may outnumber the streams.
/// - A unified KV cache: entries hold ids beside the running ones (the context has twice the
///   ids, `EngineConfiguration.sequenceIds`) and reserve their cells; a hit shares the entry's
///   cells with the new sequence, and admission evicts entries to make room.
///
/// Ids are handed out smallest first, so running ids stay consecutive: the engine loop batches
/// sequences in id order, and with a stream per sequence llama.cpp splits a batch into
/// micro-batches of sequences with consecutive ids (`split_equal`); out of order, every decode
/// token would be a micro-batch of its own, and a step would read the weights once per sequence
/// instead of once.
public struct SequenceSlots: Sendable {
    /// What a request gets at admission.
    public struct Assignment: Sendable, Equatable {
        /// Its sequence id.
        public var sequence: Int32
        /// Prompt tokens whose cells the sequence holds after `actions`: prefill starts there.
        public var cachedTokens: Int
        /// The KV operations that give the sequence those cells.
        public var actions: [SlotAction]

        public init(sequence: Int32, cachedTokens: Int, actions: [SlotAction]) {
            self.sequence = sequence
            self.cachedTokens = cachedTokens
            self.actions = actions
        }
    }

    /// One KV cache for all sequences (`ContextOptions.unifiedKV`), else a stream per sequence.
    public let unifiedKV: Bool
    /// KV cells in total (`n_ctx`).
    public let contextLength: Int
    /// Cells one sequence may use (`n_ctx_seq`).
    public let sequenceContextLength: Int
    private var cache: PrefixCache
    /// States of idle streams cleared for other requests, kept in host memory.
    private var host: HostPrefixCache
    /// Ids no running sequence holds (with idle streams, those of the entries too).
    private var free: [Int32]
    /// The running sequences' ids and the cells each reserves.
    private var reservations: [Int32: Int] = [:]

    /// - Parameters:
    ///   - sequenceIds: ids of the context (`n_seq_max`).
    ///   - prefixCache: keep finished sequences' cells for their prompt prefixes.
    ///   - prefixCacheMinTokens: shortest shared prefix worth reusing.
    ///   - hostCacheBytes: host memory for the states of cleared idle streams (a stream per
    ///     sequence with the prefix cache on only); 0: none.
    public init(
        sequenceIds: Int, unifiedKV: Bool, prefixCache: Bool, prefixCacheMinTokens: Int, contextLength: Int,
        sequenceContextLength: Int, hostCacheBytes: Int = 0
    ) {
        self.unifiedKV = unifiedKV
        self.contextLength = contextLength
        self.sequenceContextLength = sequenceContextLength
        cache = PrefixCache(minTokens: prefixCacheMinTokens, enabled: prefixCache)
        host = HostPrefixCache(
            capacityBytes: prefixCache && !unifiedKV ? hostCacheBytes : 0, minTokens: prefixCacheMinTokens)
        free = Array(0..<Int32(sequenceIds))
    }

    /// Host-memory entries, and the bytes their saved states take.
    public var hostCachedPrefixes: Int { host.count }
    public var hostCacheBytes: Int { host.bytes }

    /// The loop saved host entry `entry` in `bytes`: the entries to forget to stay within the
    /// host cache's capacity.
    public mutating func hostSaved(entry: Int, bytes: Int) -> [SlotAction] {
        host.saved(entry, bytes: bytes).map { .forget(entry: $0) }
    }

    /// A host entry could not be saved or restored: it is forgotten.
    public mutating func hostFailed(entry: Int) {
        host.remove(entry)
    }

    /// The cache's entries are idle streams: a stream per sequence with the prefix cache on.
    private var reusesIdleStreams: Bool { cache.enabled && !unifiedKV }

    /// Ids no running sequence holds, smallest first; with idle streams, those of the entries too.
    public var freeSequenceIds: [Int32] { free.sorted() }

    /// Prefix-cache entries (idle streams, or the entries of a unified cache).
    public var cachedPrefixes: Int { cache.count }

    /// Cells a request reserves in a unified cache: prompt plus completion budget, at most a
    /// sequence's share. With a stream per sequence each admitted sequence owns its stream, so the
    /// sequence id is the only reservation: 0.
    public func reservation(promptTokens: Int, maxTokens: Int) -> Int {
        unifiedKV ? min(promptTokens + maxTokens, sequenceContextLength) : 0
    }

    /// Cells reserved by running sequences and by cache entries (an entry's tokens, shared cells
    /// counted per entry: a conservative upper bound); 0 with a stream per sequence.
    public var reservedCells: Int { unifiedKV ? reservations.values.reduce(0, +) + cache.cells : 0 }

    /// Cells neither a running sequence nor a cache entry reserves.
    public var freeCells: Int { contextLength - reservedCells }

    /// KV cells holding data: the running sequences' (each's token count and how many of those
    /// came from the cache) and the entries'. Cached tokens are shared cells in a unified cache
    /// (counted with the entries), and the sequence's own cells with a stream per sequence.
    public func cellsUsed(running: [(tokens: Int, cachedTokens: Int)]) -> Int {
        let shared = !reusesIdleStreams
        return running.reduce(0) { $0 + $1.tokens - (shared ? $1.cachedTokens : 0) } + cache.cells
    }

    // MARK: Admission

    /// Evicts the least recently used entry when a request reserving `cells` does not fit in the
    /// free cells; `nil` when it fits or nothing is cached. Ask again after each eviction.
    public mutating func makeRoom(for cells: Int) -> SlotAction? {
        guard cells > freeCells, let evicted = cache.evictLeastRecent() else { return nil }
        if !reusesIdleStreams { free.append(evicted) }  // an idle stream's id is free already
        return .remove(evicted)
    }

    /// Gives an admitted request an id and the cells of the longest shared prefix (at least
    /// `prefixCacheMinTokens`) the cache or, with idle streams, a running sequence holds.
    ///
    /// - Parameters:
    ///   - prompt: the request's prompt tokens.
    ///   - maxTokens: its completion budget (for the reservation).
    ///   - running: each running sequence's id and the tokens whose cells it holds, in id order.
    public mutating func assign(
        prompt: [Int32], maxTokens: Int, running sequences: [(sequence: Int32, tokens: [Int32])]
    ) -> Assignment {
        precondition(prompt.count > 0, "a prompt has at least one token")
        let assignment = reusesIdleStreams ? takeStream(for: prompt, running: sequences) : takeId(for: prompt)
        reservations[assignment.sequence] = reservation(promptTokens: prompt.count, maxTokens: maxTokens)
        return assignment
    }

    /// Keep at least one prompt token to evaluate: its logits give the first token.
    private func usable(_ length: Int, of prompt: [Int32]) -> Int { min(length, prompt.count - 1) }

    /// Without idle streams (the cache off, or a unified cache): the smallest free id (evicting
    /// the least recently used entry when none is free) and the best entry's cells shared with it.
    private mutating func takeId(for prompt: [Int32]) -> Assignment {
        var actions: [SlotAction] = []
        if free.isEmpty, let evicted = cache.evictLeastRecent() {
            actions.append(.remove(evicted))
            free.append(evicted)
        }
        guard let id = free.min() else { preconditionFailure("no free sequence id: admit fewer sequences") }
        free.removeAll { $0 == id }
        guard let hit = cache.longestPrefix(of: prompt) else {
            return Assignment(sequence: id, cachedTokens: 0, actions: actions)
        }
        let cached = usable(hit.length, of: prompt)
        actions.append(.copy(from: hit.sequence, to: id, length: Int32(cached)))
        return Assignment(sequence: id, cachedTokens: cached, actions: actions)
    }

    /// With idle streams the best shared prefix wins: an idle stream's is used in place (an idle
    /// stream wins a tie); a running sequence's is copied into a free stream; a host entry's is
    /// restored into one (a tie goes to the others, which copy less). Without a hit a free stream
    /// that holds nothing is taken (the smallest id), else the least recently used idle one is
    /// cleared, its state saved to the host cache first.
    private mutating func takeStream(
        for prompt: [Int32], running sequences: [(sequence: Int32, tokens: [Int32])]
    ) -> Assignment {
        let idle = cache.longestPrefix(of: prompt)
        var busy: (sequence: Int32, length: Int)?
        for sequence in sequences {
            let length = PrefixCache.commonPrefixLength(sequence.tokens, prompt)
            if length >= cache.minTokens, length > max(idle?.length ?? 0, busy?.length ?? 0) {
                busy = (sequence.sequence, length)
            }
        }
        let stored = host.enabled ? host.longestPrefix(of: prompt) : nil
        let storedWins = (stored?.length ?? 0) > max(idle?.length ?? 0, busy?.length ?? 0)
        if busy == nil, !storedWins, let idle {
            free.removeAll { $0 == idle.sequence }
            let tokens = cache.entry(of: idle.sequence)?.tokens ?? []
            cache.remove(sequence: idle.sequence)
            let cached = usable(idle.length, of: prompt)
            // Taken in place for a shared prefix, the stream loses the rest of its history: kept
            // in host memory first (another session's turn may share only the system prompt).
            let saved = tokens.count > cached ? save(idle.sequence, tokens: tokens) : []
            return Assignment(
                sequence: idle.sequence, cachedTokens: cached,
                actions: saved + [.truncate(idle.sequence, from: Int32(cached))])
        }
        var actions: [SlotAction] = []
        let id: Int32
        if let empty = free.filter({ !cache.contains(sequence: $0) }).min() {
            id = empty
        } else if let evicted = cache.evictLeastRecentEntry() {
            id = evicted.sequence
            actions += save(evicted.sequence, tokens: evicted.tokens)
        } else {
            preconditionFailure("no free sequence id: admit fewer sequences")
        }
        free.removeAll { $0 == id }
        cache.remove(sequence: id)
        actions.append(.remove(id))
        if storedWins, let stored {
            let cached = usable(stored.length, of: prompt)
            actions += [.restore(entry: stored.entry, to: id), .truncate(id, from: Int32(cached))]
            return Assignment(sequence: id, cachedTokens: cached, actions: actions)
        }
        guard let busy else { return Assignment(sequence: id, cachedTokens: 0, actions: actions) }
        let cached = usable(busy.length, of: prompt)
        actions.append(.copy(from: busy.sequence, to: id, length: Int32(cached)))
        return Assignment(sequence: id, cachedTokens: cached, actions: actions)
    }

    /// The actions that keep the state of `sequence` (holding `tokens`) in the host cache, and
    /// forget what it replaces; none when it is not worth keeping or the cache is off.
    private mutating func save(_ sequence: Int32, tokens: [Int32]) -> [SlotAction] {
        guard host.enabled else { return [] }
        let (entry, forgotten) = host.admit(tokens: tokens)
        return forgotten.map { .forget(entry: $0) } + (entry.map { [.save(sequence, entry: $0)] } ?? [])
    }

    // MARK: Endings

    /// A sequence finished holding the cells of `tokens`: they stay as a cache entry (with idle
    /// streams always; in a unified cache from `prefixCacheMinTokens` on, replacing the entries
    /// they cover), else they are freed.
    public mutating func finish(_ sequence: Int32, tokens: [Int32]) -> [SlotAction] {
        if reusesIdleStreams {
            end(sequence)
            // The stream keeps its cells until the id is taken again.
            cache.insert(sequence: sequence, tokens: tokens)
            free.append(sequence)
            return []
        }
        guard cache.enabled, tokens.count >= cache.minTokens else { return release(sequence) }
        end(sequence)
        let covered = cache.entriesCovered(by: tokens)
        free.append(contentsOf: covered)
        cache.insert(sequence: sequence, tokens: tokens)
        return covered.map { .remove($0) }
    }

    /// A sequence failed or was cancelled (mid-prefill too): its cells are freed, no entry kept.
    public mutating func release(_ sequence: Int32) -> [SlotAction] {
        end(sequence)
        free.append(sequence)
        return [.remove(sequence)]
    }

    private mutating func end(_ sequence: Int32) {
        let reserved = reservations.removeValue(forKey: sequence)
        assert(reserved != nil, "sequence \(sequence) is not running")
    }
}
