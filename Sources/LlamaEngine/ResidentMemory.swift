import Foundation

/// This process's resident memory split as the kernel counts it in `/proc/self/status`, in bytes.
///
/// Anonymous pages are the heap: llama.cpp's KV cache, compute and output buffers and Swift's
/// own allocations. File pages are mapped files: the model's weights when they are mmapped
/// (`--load-mode mmap`, the default). Shmem is shared memory (tmpfs, memfd). `SystemProbe`'s
/// `ProcessStatus` reads the same file for any pid; the engine reads its own here because it may
/// not import a module of its own layer.
public struct ResidentMemory: Sendable, Equatable {
    /// `RssAnon`.
    public var anonymous: UInt64
    /// `RssFile`.
    public var file: UInt64
    /// `RssShmem`.
    public var shared: UInt64

    public init(anonymous: UInt64, file: UInt64, shared: UInt64) {
        self.anonymous = anonymous
        self.file = file
        self.shared = shared
    }

    /// The `RssAnon`, `RssFile` and `RssShmem` lines ("RssAnon:\t  123456 kB") of a status file;
    /// `nil` when one is missing (kernels before 4.5).
    public static func parse(status text: String) -> ResidentMemory? {
        var kilobytes: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Rss") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let value = UInt64(parts[1]) else { continue }
            kilobytes[parts[0]] = value
        }
        guard let anonymous = kilobytes["RssAnon"], let file = kilobytes["RssFile"], let shared = kilobytes["RssShmem"]
        else { return nil }
        return ResidentMemory(anonymous: anonymous * 1024, file: file * 1024, shared: shared * 1024)
    }

    /// This process's, now; `nil` where there is no `/proc` (not Linux).
    public static func current() -> ResidentMemory? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return parse(status: text)
    }
}
