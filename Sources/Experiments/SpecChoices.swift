/// The closed sets of words an experiment file may use. Raw values are what the YAML says.

/// What serves the requests of a trial.
public enum EngineKind: String, Sendable, Codable, CaseIterable {
    /// The lab's own server (`inferlab serve`), any scheduler.
    case inferlab
    /// llama.cpp's `llama-server` on the same model, the peer.
    case llamaServer = "llama-server"
    /// In-process single stream with per-token timing (`inferlab generate`), for the
    /// bounded-latency study.
    case generate
    /// A URL the user runs; constraints and probes that need the pid are reported as not
    /// applicable.
    case external
}

/// The batching policies of `inferlab serve`.
public enum SchedulerKind: String, Sendable, Codable, CaseIterable {
    case single, `static`, dynamic, continuous
}

/// The HTTP API the load generator speaks.
public enum WorkloadAPI: String, Sendable, Codable, CaseIterable {
    case chat, completions, generate
}

/// How requests are issued.
public enum ScenarioKind: String, Sendable, Codable, CaseIterable {
    /// N concurrent users, each sends its next request when the last one ends.
    case closed
    /// Open loop at `rate` requests/s (exponential gaps, or gamma with `burstiness`).
    case poisson
    /// All requests at once.
    case offline
}

/// The prompt length classes of the frozen corpus.
public enum PromptClass: String, Sendable, Codable, CaseIterable {
    case short, medium, long
    /// Every class, in corpus order.
    case mixed
}

/// The sampling strategies compared by the bounded-realtime study.
public enum SamplerKind: String, Sendable, Codable, CaseIterable {
    case greedy, temperature
    case topK = "top-k"
    case topP = "top-p"
}

/// How the model file is brought into memory.
public enum LoadMode: String, Sendable, Codable, CaseIterable {
    /// Memory-mapped, pages faulted in on demand (llama.cpp's default).
    case mmap
    /// Read into anonymous memory.
    case noMmap = "no-mmap"
    /// Memory-mapped and locked (`mlock`).
    case mlock
}

/// Whether the model file is in the page cache when the engine starts.
public enum StartMode: String, Sendable, Codable, CaseIterable {
    /// The file's pages are evicted before launch.
    case cold
    /// The file is read once before launch.
    case warm
}

/// Quantizations of a catalogue model. `original` is the file as shipped; the others are
/// derived once with `llama-quantize --allow-requantize` and labelled as derived.
public enum Quantization: String, Sendable, Codable, CaseIterable {
    case original
    case q8_0 = "Q8_0"
    case q5_k_m = "Q5_K_M"
    case q4_k_m = "Q4_K_M"
    case q4_0 = "Q4_0"
}

/// The studies whose recipes get study-specific answers in the report.
public enum StudyKind: String, Sendable, Codable, CaseIterable {
    case quickstart
    case boundedRealtime = "bounded-realtime"
    case serverProfile = "server-profile"
    case cpuQuota = "cpu-quota"
    case memoryLimit = "memory-limit"
    case mitigations, batching, paging
}
