import Synchronization

/// Whether the server can take requests: loading the model, ready, or draining for shutdown.
/// Read by `/health` and every handler without waiting for the engine.
public final class ServerState: Sendable {
    enum Phase {
        case loading
        case ready(any GenerationBackend)
        case draining(any GenerationBackend)
        case failed(String)
    }

    private let phase = Mutex(Phase.loading)

    public init() {}

    var current: Phase { phase.withLock { $0 } }

    public func ready(_ backend: any GenerationBackend) {
        phase.withLock { $0 = .ready(backend) }
    }

    public func failed(_ message: String) {
        phase.withLock { $0 = .failed(message) }
    }

    /// Stops admitting; returns the backend so in-flight work can be awaited.
    @discardableResult
    public func drain() -> (any GenerationBackend)? {
        phase.withLock { phase in
            switch phase {
            case .ready(let backend), .draining(let backend):
                phase = .draining(backend)
                return backend
            default:
                return nil
            }
        }
    }

    /// The backend while it may take new requests.
    var acceptingBackend: (any GenerationBackend)? {
        if case .ready(let backend) = current { return backend }
        return nil
    }

    var name: String {
        switch current {
        case .loading: "loading"
        case .ready: "ok"
        case .draining: "draining"
        case .failed: "failed"
        }
    }
}
