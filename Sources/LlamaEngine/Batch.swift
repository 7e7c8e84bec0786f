import CLlama

/// A `llama_batch` that holds tokens of several sequences for one `llama_decode` call.
///
/// Each entry is a token at a position in a sequence; entries that need logits (the last prompt
/// token of a sequence, or a decode token) are marked and get an output index, in order.
final class Batch {
    private(set) var raw: llama_batch
    let capacity: Int
    private(set) var count = 0
    private(set) var outputs = 0

    init(capacity: Int) {
        self.capacity = capacity
        raw = llama_batch_init(Int32(capacity), 0, 1)
    }

    deinit {
        llama_batch_free(raw)
    }

    var isEmpty: Bool { count == 0 }
    var remaining: Int { capacity - count }

    func clear() {
        count = 0
        outputs = 0
        raw.n_tokens = 0
    }

    /// Adds a token; returns its output index when `logits` is true.
    @discardableResult
    func add(token: Int32, position: Int32, sequence: Int32, logits: Bool) -> Int32? {
        precondition(count < capacity, "batch overflow")
        raw.token[count] = token
        raw.pos[count] = position
        raw.n_seq_id[count] = 1
        raw.seq_id[count]![0] = sequence
        raw.logits[count] = logits ? 1 : 0
        count += 1
        raw.n_tokens = Int32(count)
        guard logits else { return nil }
        outputs += 1
        return Int32(count - 1)
    }
}
