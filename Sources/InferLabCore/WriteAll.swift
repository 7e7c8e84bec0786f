#if canImport(Glibc)
    import Glibc
#endif

/// Writes all of `bytes` to a file descriptor, going on after short writes and `EINTR`.
/// - Returns: `nil` when everything was written, else the `errno` of the write that failed.
public func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return written < 0 ? errno : EIO }
        offset += written
    }
    return nil
}
