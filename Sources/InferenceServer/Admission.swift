import Synchronization

/// Bounded admission: the engine's sequences, then at most `maxQueue` requests waiting for one,
/// then 429.
///
/// A request holds a place from before tokenizing (a full queue rejects without spending CPU on
/// the prompt) until its response ends. Requests in flight beyond the engine's concurrency are the
/// ones waiting for a free sequence, so `--max-queue 2` with four sequences takes six requests at
/// once. Counting only the requests the engine has not admitted yet, as this did before, refused
/// the third of four simultaneous requests to four free sequences: they are all "not admitted" for
/// the microseconds between the HTTP layer and the engine loop.
///
/// The prompt tokens of requests not yet admitted are bounded too (`maxQueuedTokens`): a
/// request's tokens count from tokenization until the engine admits it.
final class Admission: Sendable {
    struct Limits: Sendable {
        /// Sequences the engine runs at once (`SchedulerConfiguration.concurrency`).
        var concurrency: Int
        /// Requests that may wait for a free sequence.
        var maxQueue: Int
        /// Prompt tokens that may wait for admission.
        var maxQueuedTokens: Int
    }

    /// Why a request was refused (a 429).
    struct Rejection: Error {
        var message: String
    }

    /// A held place; `leave` consumes it, so it is given back exactly once.
    struct Ticket: ~Copyable {
        fileprivate var tokens = 0
    }

    private struct State {
        var inFlight = 0
        var queuedTokens = 0
    }

    let limits: Limits
    private let state = Mutex(State())

    init(limits: Limits) {
        self.limits = limits
    }

    /// Takes a place.
    func enter() throws(Rejection) -> Ticket {
        try state.withLock { (state) throws(Rejection) -> Void in
            let waiting = state.inFlight - limits.concurrency
            if waiting >= limits.maxQueue {
                throw Rejection(
                    message: "the queue is full (\(waiting) requests waiting for one of \(limits.concurrency) "
                        + "sequences, --max-queue \(limits.maxQueue))")
            }
            if state.queuedTokens >= limits.maxQueuedTokens {
                throw Rejection(
                    message:
                        "the queue holds \(state.queuedTokens) prompt tokens (--max-queued-tokens \(limits.maxQueuedTokens))"
                )
            }
            state.inFlight += 1
        }
        return Ticket()
    }

    /// Counts the prompt's tokens as queued until `admitted`.
    func charge(_ ticket: inout Ticket, tokens: Int) {
        state.withLock { $0.queuedTokens += tokens }
        ticket.tokens += tokens
    }

    /// The engine took the request: its tokens no longer wait.
    func admitted(_ ticket: inout Ticket) {
        let tokens = ticket.tokens
        ticket.tokens = 0
        state.withLock { $0.queuedTokens -= tokens }
    }

    /// Gives the place back.
    func leave(_ ticket: consuming Ticket) {
        let tokens = ticket.tokens
        state.withLock {
            $0.inFlight -= 1
            $0.queuedTokens -= tokens
        }
    }

    /// Requests waiting for a free sequence.
    var waiting: Int { state.withLock { max(0, $0.inFlight - limits.concurrency) } }
}
