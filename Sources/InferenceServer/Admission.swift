import Synchronization

/// Bounded admission: requests accepted but not yet running, by count and by prompt tokens.
///
/// Checked before tokenizing (a full queue rejects without spending CPU on the prompt); the
/// request's own tokens are added once known and released when the engine admits it or it ends.
final class Admission: Sendable {
    struct Limits: Sendable {
        var maxQueue: Int
        var maxQueuedTokens: Int
    }

    private struct State {
        var queued = 0
        var queuedTokens = 0
    }

    private let limits: Limits
    private let state = Mutex(State())

    init(limits: Limits) {
        self.limits = limits
    }

    /// A held place in the queue; release it exactly once.
    struct Ticket: Sendable {
        fileprivate(set) var tokens: Int
    }

    /// Takes a place, or returns why not (`nil` on success).
    func enter() -> (ticket: Ticket?, rejection: String?) {
        state.withLock { state in
            if state.queued >= limits.maxQueue {
                return (nil, "the queue is full (\(state.queued) requests waiting, --max-queue \(limits.maxQueue))")
            }
            if state.queuedTokens >= limits.maxQueuedTokens {
                return (
                    nil,
                    "the queue holds \(state.queuedTokens) prompt tokens (--max-queued-tokens \(limits.maxQueuedTokens))"
                )
            }
            state.queued += 1
            return (Ticket(tokens: 0), nil)
        }
    }

    /// Adds the prompt's tokens to the held place.
    func charge(_ ticket: inout Ticket, tokens: Int) {
        state.withLock { $0.queuedTokens += tokens }
        ticket.tokens += tokens
    }

    func leave(_ ticket: Ticket) {
        state.withLock {
            $0.queued -= 1
            $0.queuedTokens -= ticket.tokens
        }
    }

    var queued: Int { state.withLock { $0.queued } }
}
