#if canImport(Glibc)
    import Glibc
#endif
import SystemProbe

/// Page-cache control of one file: evict it (cold start) or pre-warm it (warm start), with the
/// residency (mincore) before and after as evidence.
public enum PageCache {
    /// Writes back dirty pages, then drops the file's cached pages (`posix_fadvise DONTNEED`).
    /// Pages mapped by a running process stay resident; the residency after shows it.
    public static func evict(path: String) -> ControlOutcome {
        let before = try? FileResidency.residentFraction(path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .notApplied("cannot open \(path): \(String(cString: strerror(errno)))", value: path)
        }
        defer { close(fd) }
        _ = fsync(fd)
        let status = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        guard status == 0 else {
            return .notApplied("posix_fadvise DONTNEED failed: \(String(cString: strerror(status)))", value: path)
        }
        return outcome("evicted (fsync + posix_fadvise DONTNEED)", path: path, before: before)
    }

    /// Reads the file sequentially (after `POSIX_FADV_WILLNEED`) so its pages are cached.
    public static func prewarm(path: String) -> ControlOutcome {
        let before = try? FileResidency.residentFraction(path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .notApplied("cannot open \(path): \(String(cString: strerror(errno)))", value: path)
        }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            total += count
        }
        return outcome("pre-warmed (read \(total) bytes sequentially)", path: path, before: before)
    }

    private static func outcome(_ what: String, path: String, before: Double?) -> ControlOutcome {
        var result = ControlOutcome.applied(what, value: path)
        result.residencyBefore = before
        result.residencyAfter = try? FileResidency.residentFraction(path: path)
        if let after = result.residencyAfter {
            let percent: (Double) -> String = { "\(($0 * 1000).rounded() / 10)%" }
            result.reason += "; resident \(percent(before ?? 0)) -> \(percent(after))"
        }
        return result
    }
}
