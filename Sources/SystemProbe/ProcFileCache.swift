#if canImport(Glibc)
    import Glibc
#endif

/// Keeps procfs / cgroupfs files open and re-reads them with `pread` at offset 0, which makes
/// the kernel regenerate their text: a sampler at 100 Hz then pays no path lookup per file.
///
/// Not thread-safe: one sampler loop owns one cache.
final class ProcFileCache {
    private var descriptors: [String: Int32] = [:]
    private var buffer = [UInt8](repeating: 0, count: 65536)

    deinit { closeAll() }

    /// The current text of a file, or `nil` (a vanished file is closed and forgotten).
    func read(_ path: String) -> String? {
        var fd = descriptors[path] ?? -1
        if fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            descriptors[path] = fd
        }
        var total = 0
        while true {
            if total == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            let count = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + total, raw.count - total, off_t(total))
            }
            if count < 0 {
                if errno == EINTR { continue }
                forget(path)
                return nil
            }
            if count == 0 { break }
            total += count
        }
        return String(decoding: buffer[0..<total], as: UTF8.self)
    }

    /// Closes and forgets one file (for example a thread's file after it exited).
    func forget(_ path: String) {
        if let fd = descriptors.removeValue(forKey: path) { close(fd) }
    }

    /// Closes every file whose path starts with `prefix`.
    func forget(prefix: String) {
        for path in descriptors.keys where path.hasPrefix(prefix) { forget(path) }
    }

    func closeAll() {
        for fd in descriptors.values { close(fd) }
        descriptors.removeAll()
    }
}
