import Foundation

/// Names the worker threads ggml starts for llama.cpp's graphs (OpenMP's team) `llama-worker-N`.
/// A new thread inherits its creator's name, so without this every worker is called like the
/// thread that first decoded (`inferlab-engine`, or a Swift concurrency thread's
/// `oot.default-qos`), and a profile, `sched.json` or the probe cannot tell them apart.
enum ComputeThreadNames {
    /// This process's thread ids.
    static func threads() -> Set<Int32> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { Int32($0) })
    }

    /// Renames the threads that appeared during a decode (`started`), numbering after the workers
    /// already named.
    static func nameWorkers(started: Set<Int32>) {
        guard !started.isEmpty else { return }
        var next = threads().filter { name(of: $0)?.hasPrefix("llama-worker-") == true }.count + 1
        for tid in started.sorted() {
            rename("/proc/self/task/\(tid)/comm", to: "llama-worker-\(next)")
            next += 1
        }
    }

    /// Writes a thread's name (at most 15 bytes) to its `comm` file.
    static func rename(_ comm: String, to name: String) {
        let fd = open(comm, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = write(fd, bytes, bytes.count)
        close(fd)
    }

    static func name(of tid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?.trimmingCharacters(
            in: .newlines)
    }
}
