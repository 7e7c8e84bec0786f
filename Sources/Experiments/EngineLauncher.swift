import ExperimentFile
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
    /// Where an InferLab engine's configuration is written (`serve --config FILE`).
    let configFile: URL
    /// Where an InferLab engine writes one JSON line per engine step (`serve --step-log`), beside
    /// the probe's samples and the requests: the three share the monotonic clock.
    var stepLog: URL?

    /// The configuration an InferLab engine serving `modelPath` on `port` runs on.
    func serverConfiguration(_ engine: EngineSpec, modelPath: String, port: Int) -> ServerConfiguration {
        var server = engine.effectiveServer
        server.model = modelPath
        server.host = "127.0.0.1"
        server.port = port
        server.engine.stepLog = stepLog?.path
        return server
    }

    /// The command line of an engine serving `modelPath` on `port`; an InferLab engine's
    /// configuration is written to `configFile` first.
    func command(_ engine: EngineSpec, modelPath: String, port: Int) throws -> [String] {
        switch engine.kind {
        case .llamaServer:
            return LlamaServerFlags.command(
                executable: llamaServerExecutable, engine.server, modelPath: modelPath, port: port)
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let configuration = serverConfiguration(engine, modelPath: modelPath, port: port)
            try encoder.encode(configuration).write(to: configFile)
            return [inferlabExecutable, "serve", "--config", configFile.path, "--log-level", "warning"]
        }
    }

    /// Spawns the engine held at the gate; `place` runs before it is released (cgroup, affinity).
    func launch(_ engine: EngineSpec, modelPath: String, place: (Int32) throws -> Void) throws -> Launched {
        let port = freeLoopbackPort()
        let command = try command(engine, modelPath: modelPath, port: port)
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
