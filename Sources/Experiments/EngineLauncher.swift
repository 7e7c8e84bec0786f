import Constraints
import Foundation
import InferLabCore
import InferenceCore

/// Starts the engine of a trial as a child process, placed in its cgroup and CPU set before it
/// runs a single instruction of its own (a gated spawn), with its output in a log file.
struct EngineLauncher {
    /// The running engine and where to reach it.
    struct Launched {
        let child: GatedChild
        let port: Int
        var pid: Int32 { child.pid }
        var url: String { "http://127.0.0.1:\(port)" }
    }

    let inferlabExecutable: String
    let llamaServerExecutable: String
    let logFile: URL
    /// Where an InferLab engine writes one JSON line per engine step (`serve --step-log`), beside
    /// the probe's samples and the requests: the three share the monotonic clock.
    var stepLog: URL?

    /// The command line of an engine serving `modelPath` on `port`.
    func command(_ engine: EngineSpec, modelPath: String, port: Int) -> [String] {
        var command: [String]
        switch engine.kind {
        case .llamaServer:
            command = [
                llamaServerExecutable, "-m", modelPath, "-t", "\(engine.threads)", "-c", "\(engine.ctx)", "-np",
                "\(engine.maxSeqs)", "--host", "127.0.0.1", "--port", "\(port)", "--metrics",
            ]
        default:
            // `generate` is one stream at a time with every token timed: the server with the
            // `single` policy and one sequence, measured by a closed loop of one user.
            let single = engine.kind == .generate
            command = [
                inferlabExecutable, "serve", "--model", modelPath, "--port", "\(port)", "--threads",
                "\(engine.threads)",
                "--ctx", "\(engine.ctx)", "--scheduler",
                single ? "single" : (engine.effectiveScheduler ?? .continuous).rawValue,
                "--max-seqs", single ? "1" : "\(engine.maxSeqs)", "--prefix-cache", engine.prefixCache ? "on" : "off",
                "--log-level", "warning", "--drain-timeout", "5",
            ]
            if let maxQueue = engine.maxQueue { command += ["--max-queue", "\(maxQueue)"] }
            if let stepLog { command += ["--step-log", stepLog.path] }
        }
        // Both engines take the same load-mode flags.
        if engine.loadMode == .noMmap { command.append("--no-mmap") }
        if engine.loadMode == .mlock { command.append("--mlock") }
        return command
    }

    /// Spawns the engine held at the gate; `place` runs before it is released (cgroup, affinity).
    func launch(_ engine: EngineSpec, modelPath: String, place: (Int32) throws -> Void) throws -> Launched {
        let port = freeLoopbackPort()
        let command = command(engine, modelPath: modelPath, port: port)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let quoted = logFile.path.replacingOccurrences(of: "'", with: "'\\''")
        let child = try GatedChild.spawn(["/bin/sh", "-c", "exec \"$0\" \"$@\" >>'\(quoted)' 2>&1"] + command)
        do {
            try place(child.pid)
        } catch {
            kill(child.pid, SIGKILL)
            throw error
        }
        child.release()
        return Launched(child: child, port: port)
    }
}
