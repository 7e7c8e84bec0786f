#if canImport(Glibc)
    import Glibc
#endif
import CLinux
import SystemProbe

/// The memory-lock limit (`RLIMIT_MEMLOCK`) of a launched engine: set with `prlimit` while the
/// engine waits at its gate, before it runs, so an `mlock` load mode can pin the model; the
/// engine's own `/proc/PID/limits` line is the evidence.
public enum MemoryLock {
    /// Sets both the soft and the hard limit of `pid` to `bytes` (`nil`: unlimited).
    public static func apply(bytes: UInt64?, to pid: Int32) -> ControlOutcome {
        let asked = bytes.map { "\($0)" } ?? "unlimited"
        guard inferlab_set_memlock(pid, bytes ?? UInt64.max) == 0 else {
            let code = errno
            let hint = code == EPERM ? " (raising the hard limit needs root or CAP_SYS_RESOURCE)" : ""
            return .notApplied(
                "prlimit(\(pid), RLIMIT_MEMLOCK, \(asked)) failed: \(String(cString: strerror(code)))\(hint)",
                value: asked)
        }
        let line = limitsLine(of: pid) ?? "no /proc/\(pid)/limits"
        return .applied("prlimit RLIMIT_MEMLOCK=\(asked); /proc/\(pid)/limits: \(line)", value: asked)
    }

    /// The "Max locked memory" line of `/proc/PID/limits`, its columns joined by single spaces
    /// ("Max locked memory unlimited unlimited bytes").
    public static func limitsLine(of pid: Int32) -> String? {
        guard let text = ProcFS.read("/proc/\(pid)/limits") else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max locked memory") }) else {
            return nil
        }
        return line.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
