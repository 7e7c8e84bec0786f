import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `llama-server` child process on a loopback port, for tests that need a real
/// OpenAI-compatible server. Start it, use `url`, and `stop()` it in a `defer`.
public final class LlamaServerProcess: @unchecked Sendable {
    /// The base URL, `http://127.0.0.1:PORT`.
    public let url: String
    public let port: Int
    private let process: Process
    /// Where the server's output goes (read it when a test fails).
    public let logPath: String

    /// Whether llama-server and the default model are present.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: TestPaths.llamaBin.appendingPathComponent("llama-server").path)
            && TestPaths.hasDefaultModel
    }

    private init(process: Process, port: Int, logPath: String) {
        self.process = process
        self.port = port
        self.url = "http://127.0.0.1:\(port)"
        self.logPath = logPath
    }

    /// Starts `llama-server -m model -t threads -c context -np parallel` and waits until
    /// `/health` answers 200 (or throws after `timeout` seconds).
    public static func start(
        model: String = TestPaths.defaultModel, port: Int = freeLoopbackPort(), parallel: Int = 4, threads: Int = 2,
        context: Int = 4096, extraArguments: [String] = [], timeout: Double = 60
    ) throws -> LlamaServerProcess {
        let process = Process()
        process.executableURL = TestPaths.llamaBin.appendingPathComponent("llama-server")
        process.arguments =
            [
                "-m", model, "-t", String(threads), "-c", String(context), "-np", String(parallel),
                "--host", "127.0.0.1", "--port", String(port),
            ] + extraArguments
        let lib = TestPaths.root.appendingPathComponent(".deps/llama.cpp/lib").path
        var environment = ProcessInfo.processInfo.environment
        environment["LD_LIBRARY_PATH"] = [lib, environment["LD_LIBRARY_PATH"]].compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("llama-server-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = LlamaServerProcess(process: process, port: port, logPath: logPath)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning {
                throw LlamaServerError(message: "llama-server exited with \(process.terminationStatus); see \(logPath)")
            }
            if healthy(port: port) { return server }
            Thread.sleep(forTimeInterval: 0.1)
        }
        server.stop()
        throw LlamaServerError(message: "llama-server did not become healthy within \(timeout) s; see \(logPath)")
    }

    /// Terminates the server (SIGTERM, then SIGKILL after 3 s) and waits for it. Polls instead of
    /// `waitUntilExit()`, which spins a run loop when called from a concurrency thread on Linux.
    public func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            let hard = Date().addingTimeInterval(5)
            while process.isRunning && Date() < hard { usleep(20_000) }
        }
    }

    deinit { stop() }

    /// One blocking GET /health with a short timeout.
    static func healthy(port: Int) -> Bool {
        guard let url = URL(string: "http://127.0.0.1:\(port)/health") else { return false }
        var request = URLRequest(url: url)
        request.timeoutInterval = 1
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var ok = false
        URLSession.shared.dataTask(with: request) { _, response, _ in
            ok = (response as? HTTPURLResponse)?.statusCode == 200
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 2)
        return ok
    }
}

/// llama-server could not be started.
public struct LlamaServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
