import Foundation
import Synchronization

/// A child started as `/bin/sh` that waits on a pipe before `exec`ing the real command, so
/// the parent can place it (cgroup, affinity) before the command runs. The pid stays the same.
public final class GatedChild: Sendable {
    public let pid: Int32
    private let gate: Atomic<Int32>

    private init(pid: Int32, gate: Int32) {
        self.pid = pid
        self.gate = Atomic(gate)
    }

    /// Spawns the gated shell (the command is looked up on PATH). Signals ignored by this process
    /// are reset to default in the child and its signal mask is empty.
    /// With `newProcessGroup`, the child leads its own process group (so `killGroup` reaches
    /// the workers it forks).
    public static func spawn(_ command: [String], newProcessGroup: Bool = false) throws -> GatedChild {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw ConstraintError(.spawnFailed, "pipe failed: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 3)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        if readEnd != 3 { posix_spawn_file_actions_addclose(&actions, readEnd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let script = "read _ <&3 || exit 125; exec 3<&-; exec \"$@\""
        let arguments = ["/bin/sh", "-c", script, "sh"] + command
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        close(readEnd)
        guard status == 0 else {
            close(writeEnd)
            throw ConstraintError(.spawnFailed, "cannot start /bin/sh: \(String(cString: strerror(status)))")
        }
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        return GatedChild(pid: pid, gate: writeEnd)
    }

    /// Lets the shell `exec` the command (idempotent).
    public func release() {
        let fd = gate.exchange(-1, ordering: .relaxed)
        guard fd >= 0 else { return }
        var newline: UInt8 = 10
        _ = write(fd, &newline, 1)
        close(fd)
    }

    /// Sends SIGTERM to the child's process group, then SIGKILL after `grace` seconds, and reaps it.
    public func terminateGroup(grace: Double = 2) {
        _ = kill(-pid, SIGTERM)
        var status: Int32 = 0
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(grace * 1e9)
        while DispatchTime.now().uptimeNanoseconds < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) {
                _ = kill(-pid, SIGKILL)  // stray workers of the group, if any
                return
            }
            usleep(20_000)
        }
        _ = kill(-pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Waits for the child and returns its waitpid(2) status.
    /// Whether the child has ended, without reaping it (`wait()` still returns its status).
    public var hasExited: Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return errno == ECHILD }
        return info.si_signo == SIGCHLD
    }

    public func wait() async -> Int32 {
        let pid = self.pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
    }
}

/// While installed, SIGINT and SIGTERM to this process are forwarded to one child instead of
/// killing the parent, so the parent can still collect stats and remove the cgroup.
final class SignalForwarder {
    private let sources: [any DispatchSourceSignal]

    init(pid: Int32) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { kill(pid, number) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
