import Foundation
import InferLabCore
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Testing
import TestSupport

/// An `inferlab serve` child process on a free loopback port, stopped (SIGKILL as a last
/// resort) when the test ends.
final class LiveServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let stderrPipe = Pipe()
    var base: String { "http://127.0.0.1:\(port)" }

    init(_ arguments: [String]) throws {
        port = freeLoopbackPort()
        process.executableURL = URL(fileURLWithPath: TestPaths.inferlab)
        process.arguments =
            [
                "serve", "--model", TestPaths.defaultModel, "--port", "\(port)", "--threads", "2", "--log-level",
                "warning",
            ]
            + arguments
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitForExit(timeout: 10)
        }
    }

    /// Waits for `/health` to answer 200.
    func waitReady(timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let (status, _) = try? await get("/health"), status == 200 { return }
            guard process.isRunning else {
                throw LiveServerError("the server exited with \(process.terminationStatus)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LiveServerError("the server was not ready within \(timeout) s")
    }

    func get(_ path: String) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: base + path)!)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    func post(_ path: String, _ body: String) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 120
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    /// A metric's value from `/metrics` (first sample of the family).
    func metric(_ name: String) async throws -> Double? {
        let (_, text) = try await get("/metrics")
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    func terminate(_ signal: Int32 = SIGTERM) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for exit; returns the status, or nil on timeout.
    func waitExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

struct LiveServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
