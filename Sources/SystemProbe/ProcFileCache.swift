#if canImport(Glibc)
    import Glibc
#endif

/// Keeps procfs / cgroupfs files open and re-reads them with `pread` at offset 0, which makes
/// the kernel regenerate their text: a sampler at 100 Hz then pays no path lookup per file.
///
/// One `pread` per file: procfs and cgroupfs files are `seq_file`s, and a file that is one
/// record (every per-process and per-thread file, every cgroup control file, /proc/stat, the PSI
/// files) comes whole from one read into a large enough buffer. Reading on to end-of-file would
/// cost a second read that regenerates the whole text only to return 0 (a `pread` at an offset
/// other than the file position makes `seq_file` start over). Files of many records
/// (/proc/vmstat, /proc/diskstats) return at most one kernel buffer per read: read those with
/// `manyRecords`, which reads to end-of-file.
///
/// Not thread-safe: one sampler loop owns one cache.
final class ProcFileCache {
    private var descriptors: [String: Int32] = [:]
    private var buffer = [UInt8](repeating: 0, count: 65536)

    deinit { closeAll() }

    /// The current text of a file, or `nil` (a vanished file is closed and forgotten).
    func read(_ path: String, manyRecords: Bool = false) -> String? {
        guard let total = fill(path, manyRecords: manyRecords) else { return nil }
        return String(decoding: buffer[0..<total], as: UTF8.self)
    }

    /// Runs `body` over the current bytes of a file (no `String` made), or returns `nil`.
    func withBytes<R>(_ path: String, _ body: (ByteText.Bytes) throws -> R) rethrows -> R? {
        guard let total = fill(path, manyRecords: false) else { return nil }
        return try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<total])) }
    }

    /// Reads the file into `buffer`; the byte count, or `nil`.
    private func fill(_ path: String, manyRecords: Bool) -> Int? {
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
            total += count
            // A one-record file is whole unless it filled the buffer.
            if count == 0 || (!manyRecords && total < buffer.count) { break }
        }
        return total
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
