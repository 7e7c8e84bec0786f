/// The order in which prompts get a step's prompt tokens: round-robin with a quantum.
///
/// The prompt at the head takes tokens step after step until it has had `quantum` of them since
/// its turn began, then goes to the back; a new prompt joins at the back. With a quantum of
/// `--batch-tokens` (512), prompts up to that long are prefilled first come first served, one
/// after the other, and a long prompt yields to the prompts behind it every quantum instead of
/// holding them for its whole prefill. No prompt waits for more than about one quantum (a turn
/// ends with the step that reaches it) of each prompt ahead of it. A pure value: the engine loop
/// reports what each step took.
public struct PromptQueue<ID: Hashable & Sendable>: Sendable {
    /// Prompt tokens a prompt takes per turn.
    public let quantum: Int
    /// Prompts still prefilling, the one whose turn it is first.
    public private(set) var order: [ID] = []
    /// Tokens the head has taken in its current turn.
    private var taken = 0

    public init(quantum: Int) {
        self.quantum = max(quantum, 1)
    }

    /// A new prompt joins at the back.
    public mutating func add(_ id: ID) {
        order.append(id)
    }

    /// A prompt leaves (prefilled, finished or cancelled).
    public mutating func remove(_ id: ID) {
        guard let index = order.firstIndex(of: id) else { return }
        order.remove(at: index)
        if index == 0 { taken = 0 }
    }

    /// Records the prompt tokens the head took in one step; it goes to the back when its turn
    /// has used the quantum. (When a step reaches the prompts behind the head, the head's prompt
    /// ended in it; their turns begin when they reach the head.)
    public mutating func headTook(_ tokens: Int) {
        guard let head = order.first, tokens > 0 else { return }
        taken += tokens
        if taken >= quantum {
            order.removeFirst()
            order.append(head)
            taken = 0
        }
    }
}
