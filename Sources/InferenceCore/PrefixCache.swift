/// Bookkeeping of finished sequences kept in the KV cache for their prompt prefixes.
///
/// Pure: it tracks which sequence id holds which tokens and their recency; `SequenceSlots`
/// decides the KV operations and the engine loop does them. A hit shares cells with the new
/// sequence (`llama_memory_seq_cp` on a unified cache shares rather than copies), so reuse costs
/// no memory until the sequences diverge.
struct PrefixCache {
    struct Entry {
        var sequence: Int32
        var tokens: [Int32]
        var lastUse: UInt64
    }

    let minTokens: Int
    let enabled: Bool
    private(set) var entries: [Entry] = []
    private var clock: UInt64 = 0

    init(minTokens: Int, enabled: Bool) {
        self.minTokens = max(1, minTokens)
        self.enabled = enabled
    }

    var count: Int { entries.count }
    /// Cells held by entries (shared cells counted per entry: a conservative upper bound).
    var cells: Int { entries.reduce(0) { $0 + $1.tokens.count } }

    /// The entry sharing the longest prefix with `prompt`, if at least `minTokens` long.
    mutating func longestPrefix(of prompt: [Int32]) -> (sequence: Int32, length: Int)? {
        guard enabled, let best = Self.longestShared(prompt, minTokens: minTokens, in: entries.map(\.tokens))
        else { return nil }
        clock += 1
        entries[best.index].lastUse = clock
        return (entries[best.index].sequence, best.length)
    }

    mutating func insert(sequence: Int32, tokens: [Int32]) {
        clock += 1
        entries.append(Entry(sequence: sequence, tokens: tokens, lastUse: clock))
    }

    /// Forgets the entry of `sequence` (its id is being reused).
    mutating func remove(sequence: Int32) {
        entries.removeAll { $0.sequence == sequence }
    }

    func contains(sequence: Int32) -> Bool { entries.contains { $0.sequence == sequence } }

    func entry(of sequence: Int32) -> Entry? { entries.first { $0.sequence == sequence } }

    /// Removes and returns entries whose tokens are a prefix of `tokens` (a newer entry covers them).
    mutating func entriesCovered(by tokens: [Int32]) -> [Int32] {
        let covered = entries.filter {
            $0.tokens.count <= tokens.count && Self.commonPrefixLength($0.tokens, tokens) == $0.tokens.count
        }
        entries.removeAll { entry in covered.contains { $0.sequence == entry.sequence } }
        return covered.map(\.sequence)
    }

    /// Removes the least recently used entry; returns its sequence id.
    mutating func evictLeastRecent() -> Int32? { evictLeastRecentEntry()?.sequence }

    /// Removes the least recently used entry; returns it.
    mutating func evictLeastRecentEntry() -> Entry? {
        guard let index = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) else { return nil }
        return entries.remove(at: index)
    }

    /// The index of the token list sharing the longest prefix with `prompt`, and that length,
    /// if at least `minTokens` (the first one wins a tie).
    static func longestShared(_ prompt: [Int32], minTokens: Int, in lists: [[Int32]]) -> (index: Int, length: Int)? {
        var best: (index: Int, length: Int)?
        for (index, tokens) in lists.enumerated() {
            let length = commonPrefixLength(tokens, prompt)
            if length >= minTokens, length > (best?.length ?? 0) { best = (index, length) }
        }
        return best
    }

    static func commonPrefixLength(_ a: [Int32], _ b: [Int32]) -> Int {
        var length = 0
        let limit = min(a.count, b.count)
        while length < limit, a[length] == b[length] { length += 1 }
        return length
    }
}
