/// Bookkeeping of KV states kept in host memory: the sequences evicted from their streams,
/// saved (`llama_state_seq_get_data`) so that a returning session, or another request sharing
/// their prefix, restores them (`llama_state_seq_set_data`) instead of prefilling again.
///
/// Pure: it tracks which entry holds which tokens, its bytes and its recency, bounded by
/// `capacityBytes` with the least recently used entries forgotten first; `SequenceSlots` decides
/// the KV operations and the engine loop keeps the bytes. An entry whose tokens are a prefix of
/// a newer one is dropped for it (the newer one serves its prompts too), and a state that is a
/// prefix of an entry already kept is not saved again.
struct HostPrefixCache {
    struct Entry: Equatable {
        var id: Int
        var tokens: [Int32]
        /// The saved state's size, `nil` until the loop has saved it.
        var bytes: Int?
        var lastUse: UInt64
    }

    let capacityBytes: Int
    let minTokens: Int
    private(set) var entries: [Entry] = []
    private var clock: UInt64 = 0
    private var nextID = 0

    init(capacityBytes: Int, minTokens: Int) {
        self.capacityBytes = max(capacityBytes, 0)
        self.minTokens = max(1, minTokens)
    }

    var enabled: Bool { capacityBytes > 0 }
    var count: Int { entries.count }
    var bytes: Int { entries.reduce(0) { $0 + ($1.bytes ?? 0) } }

    /// The entry sharing the longest prefix with `prompt`, if at least `minTokens` long; it
    /// becomes the most recently used.
    mutating func longestPrefix(of prompt: [Int32]) -> (entry: Int, length: Int)? {
        guard let best = PrefixCache.longestShared(prompt, minTokens: minTokens, in: entries.map(\.tokens))
        else { return nil }
        clock += 1
        entries[best.index].lastUse = clock
        return (entries[best.index].id, best.length)
    }

    /// Makes room for the state of `tokens`: returns the new entry's id (`nil`: not worth keeping)
    /// and the entries it replaces (their tokens are a prefix of it).
    mutating func admit(tokens: [Int32]) -> (entry: Int?, forgotten: [Int]) {
        guard enabled, tokens.count >= minTokens else { return (nil, []) }
        if let index = entries.firstIndex(where: {
            $0.tokens.count >= tokens.count && PrefixCache.commonPrefixLength($0.tokens, tokens) == tokens.count
        }) {
            clock += 1
            entries[index].lastUse = clock
            return (nil, [])
        }
        let covered = entries.filter {
            $0.tokens.count < tokens.count && PrefixCache.commonPrefixLength($0.tokens, tokens) == $0.tokens.count
        }.map(\.id)
        entries.removeAll { covered.contains($0.id) }
        clock += 1
        nextID += 1
        entries.append(Entry(id: nextID, tokens: tokens, bytes: nil, lastUse: clock))
        return (nextID, covered)
    }

    /// The loop saved entry `id` in `bytes`: returns the entries forgotten to stay within the
    /// capacity, least recently used first (the new one itself when it alone exceeds it).
    mutating func saved(_ id: Int, bytes: Int) -> [Int] {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return [] }
        entries[index].bytes = bytes
        var forgotten: [Int] = []
        if bytes > capacityBytes {
            entries.remove(at: index)
            return [id]
        }
        while self.bytes > capacityBytes,
            let oldest = entries.indices.filter({ entries[$0].id != id }).min(by: {
                entries[$0].lastUse < entries[$1].lastUse
            })
        {
            forgotten.append(entries.remove(at: oldest).id)
        }
        return forgotten
    }

    /// Forgets an entry (its save failed).
    mutating func remove(_ id: Int) {
        entries.removeAll { $0.id == id }
    }
}
