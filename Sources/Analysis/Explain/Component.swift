/// One cause of a request's time. The components of a request add up to its latency
/// (docs/explain.md defines each).
public enum Component: String, Sendable, Codable, CaseIterable, Comparable {
    /// t_sched → t_send: the load generator was late (open loop) or busy.
    case clientLag = "client_lag"
    /// t_send → the server's arrival: HTTP, parsing, the chat template, tokenizing.
    case networkIn = "network_in"
    /// Arrival → admission to a sequence: waiting for a free sequence or KV cells.
    case queue
    /// Admitted, waiting for its turn while other prompts take the steps.
    case prefillWait = "prefill_wait"
    /// The prompt's own compute: what its chunks would cost alone.
    case prefillOwn = "prefill_own"
    /// Its prefill steps made longer by other requests' tokens in them.
    case prefillStretched = "prefill_stretched"
    /// Its decode tokens' own compute: a step of batch size 1 each.
    case decodeOwn = "decode_own"
    /// Its decode steps made longer by the other decoding requests.
    case decodeBatching = "decode_batching"
    /// Its decode steps made longer by other requests' prompt chunks.
    case decodeOtherPrefill = "decode_other_prefill"
    /// The engine loop between steps (sampling bookkeeping, admission, waiting on the inbox).
    case engineOverhead = "engine_overhead"
    /// CPU quota: the cgroup was throttled (CFS bandwidth).
    case cfsThrottling = "cfs_throttling"
    /// The engine's threads were runnable but not running (another program had the CPU).
    case runqueueWait = "runqueue_wait"
    /// Major page faults: the engine waited for model pages read from storage.
    case faultStalls = "fault_stalls"
    /// Last token sampled → the last event received: the final chunks and `[DONE]`.
    case networkOut = "network_out"
    /// Time the model cannot assign: a step slower than its cost with no OS event to show for it,
    /// or, for a server without instants, the queue and network together.
    case unattributed

    public static func < (lhs: Component, rhs: Component) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// A few words for a sentence.
    public var phrase: String {
        switch self {
        case .clientLag: "client lag"
        case .networkIn: "HTTP and tokenizing before the engine"
        case .queue: "queueing"
        case .prefillWait: "waiting for its prefill turn"
        case .prefillOwn: "its own prefill"
        case .prefillStretched: "prefill stretched by other requests' tokens"
        case .decodeOwn: "its own decode"
        case .decodeBatching: "decode stretched by batching"
        case .decodeOtherPrefill: "other requests' prefill"
        case .engineOverhead: "engine overhead between steps"
        case .cfsThrottling: "CFS throttling"
        case .runqueueWait: "run-queue wait"
        case .faultStalls: "page-fault stalls"
        case .networkOut: "sending the last events"
        case .unattributed: "unattributed"
        }
    }

    /// OS components: taken out of a step's time beyond its modelled cost.
    public var isOS: Bool { self == .cfsThrottling || self == .runqueueWait || self == .faultStalls }
}

/// Milliseconds per component; absent components are 0.
public struct ComponentTimes: Sendable, Equatable {
    public private(set) var milliseconds: [Component: Double] = [:]

    public init() {}

    public subscript(_ component: Component) -> Double {
        get { milliseconds[component] ?? 0 }
        set { milliseconds[component] = newValue }
    }

    public mutating func add(_ component: Component, _ value: Double) {
        guard value != 0 else { return }
        milliseconds[component, default: 0] += value
    }

    public mutating func add(_ other: ComponentTimes, scale: Double = 1) {
        for (component, value) in other.milliseconds { add(component, value * scale) }
    }

    public var total: Double { milliseconds.values.reduce(0, +) }

    /// The largest component, ties broken by the order of `Component`.
    public var top: Component? {
        milliseconds.filter { $0.value > 0 }.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }?
            .key
    }

    /// Components in `Component` order with their values (zeros left out).
    public var ordered: [(component: Component, milliseconds: Double)] {
        Component.allCases.compactMap { component in milliseconds[component].map { (component, $0) } }.filter {
            $0.milliseconds != 0
        }
    }
}
