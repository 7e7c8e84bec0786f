import CLinux
import Foundation
import InferLabCore
import Synchronization
public import UnixSignals

/// A child started as `/bin/sh` that waits on a pipe before `exec`ing the real command, so
/// the parent can place it (cgroup, affinity) before the command runs. The pid stays the same.
public final class GatedChild: Sendable {
    public let pid: Int32
    /// The pid with its start time, read while the child waits at the gate: what a later
    /// InferLab checks before it kills a child this process left (pids are reused).
    public let identity: ProcessIdentity?
    private let gate: Atomic<Int32>

    private init(pid: Int32, gate: Int32) {
        self.pid = pid
        self.identity = LinuxProcessTable().identity(of: pid)
        self.gate = Atomic(gate)
    }

    /// Spawns the gated shell (the command is looked up on PATH). The child dies with this process
    /// (`PR_SET_PDEATHSIG` SIGKILL, armed in the child before it runs anything, and kept across its
    /// `exec`s), so neither `kill -9` of InferLab nor the OOM killer taking it leaves it running.
    /// Signals ignored by this process are reset to default in the child and its signal mask is
    /// empty. With `newProcessGroup`, the child leads its own process group (so `terminateGroup`
    /// reaches the workers it forks).
    public static func spawn(_ command: [String], newProcessGroup: Bool = false) throws -> GatedChild {
        var fds: [Int32] = [0, 0]
        guard inferlab_pipe_cloexec(&fds) == 0 else {
            throw ConstraintError(.spawnFailed, "pipe failed: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let script = "read _ <&3 || exit 125; exec 3<&-; exec \"$@\""
        let arguments = ["/bin/sh", "-c", script, "sh"] + command
        let pid = SpawnThread.shared.perform {
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            return inferlab_spawn("/bin/sh", &argv, environ, readEnd, newProcessGroup ? 1 : 0, SIGKILL, &defaults)
        }
        close(readEnd)
        guard pid > 0 else {
            close(writeEnd)
            throw ConstraintError(.spawnFailed, "cannot start /bin/sh: \(String(cString: strerror(-pid)))", errno: -pid)
        }
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
        let deadline = MonotonicInstant.now() + .seconds(clamping: grace)
        while MonotonicInstant.now() < deadline {
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

    /// Whether the child has ended, without reaping it (`wait()` still returns its status).
    public var hasExited: Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return errno == ECHILD }
        return info.si_signo == SIGCHLD
    }

    /// Waits for the child and returns its waitpid(2) status.
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

    /// Waits for the child while every signal of `signals` sent to this process is passed on to
    /// it instead (so this process lives on to collect stats and remove the cgroup); returns its
    /// waitpid(2) status. Trap the signals before spawning, so none is missed in between.
    public func wait(forwarding signals: UnixSignalsSequence) async -> Int32 {
        let pid = self.pid
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                for await signal in signals { kill(pid, signal.rawValue) }
                return nil
            }
            group.addTask { await self.wait() }
            var status: Int32 = 0
            for await result in group {
                guard let result else { continue }
                status = result
                group.cancelAll()
            }
            return status
        }
    }
}
