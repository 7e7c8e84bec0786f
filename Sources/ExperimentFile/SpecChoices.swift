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
