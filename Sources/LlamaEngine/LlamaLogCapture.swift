import Foundation
import Synchronization

/// llama.cpp's log lines printed by one thread while it runs a closure.
///
/// At our llama.cpp commit the sizes of the KV and compute buffers have no C getter
/// (`llama_get_memory_breakdown` is C++ only, and `llama_memory_breakdown_print` is not in
/// `llama.h`): llama.cpp says them only in its log while it creates a context
/// (`llama_kv_cache: CPU KV buffer size = 180.00 MiB`, `sched_reserve: CPU compute buffer
/// size = 98.25 MiB`). `LlamaBackend`'s log callback hands every line here; a capture keeps the
/// lines of its own thread only (llama.cpp logs synchronously on the calling thread), so an engine
/// decoding on another thread, or a second capture, does not mix into it.
enum LlamaLogCapture {
    /// The text captured so far, by capturing thread.
    private static let captures = Mutex<[pthread_t: String]>([:])

    /// Runs `body` and returns its result with the log lines llama.cpp printed on this thread meanwhile.
    static func capturing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (value: T, lines: [String]) {
        LlamaBackend.ensureInitialised()
        let thread = pthread_self()
        captures.withLock { $0[thread] = "" }
        let value: T
        do {
            value = try body()
        } catch {
            captures.withLock { _ = $0.removeValue(forKey: thread) }
            throw error
        }
        let text = captures.withLock { $0.removeValue(forKey: thread) } ?? ""
        return (value, text.split(separator: "\n").map(String.init))
    }

    /// Called by the log callback with each piece of text (a piece may be part of a line).
    static func record(_ text: UnsafePointer<CChar>) {
        let thread = pthread_self()
        captures.withLock { captures in
            guard captures[thread] != nil else { return }
            captures[thread]! += String(cString: text)
        }
    }
}
