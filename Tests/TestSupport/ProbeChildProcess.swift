import Foundation

/// A child process started with `posix_spawn` and not reaped until `wait()` is called, so a
/// test can watch it (and its zombie's exit status) in /proc. Output goes to /dev/null unless
/// `outputPath` is given.
public final class ProbeChildProcess: @unchecked Sendable {
    public let pid: Int32
    private var reaped: Int32?

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String], outputPath: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let all = [executable] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        guard status == 0 else {
            throw NSError(
                domain: "ProbeChildProcess", code: Int(status),
                userInfo: [
                    NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(status)))"
                ])
        }
        self.pid = pid
    }

    /// Waits for the child and returns its raw waitpid status (idempotent).
    @discardableResult
    public func wait() -> Int32 {
        if let reaped { return reaped }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = status
        return status
    }

    /// Kills (SIGKILL) and reaps the child if it is still there.
    public func kill() {
        guard reaped == nil else { return }
        _ = Glibc.kill(pid, SIGKILL)
        wait()
    }

    deinit { kill() }
}
