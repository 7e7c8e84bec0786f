import Foundation
import Testing
import TestSupport

/// `inferlab bench`'s workload flags as a user types them: against `inferlab bench mock`, the
/// `--json` keys (requests.cancelled apart from failed, steps, rate_search), the sweep's chart,
/// and bad input as one `error:` line with exit 2.
@Suite(.serialized)
struct BenchWorkloadCLITests {
    /// Starts `inferlab bench mock` and returns it with its URL (the first line it prints).
    func mock() throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.inferlab)
        process.arguments = ["bench", "mock", "--tokens", "12", "--interval-ms", "1"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line += chunk
        }
        let url = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (process, url)
    }

    @Test func aSweepWithHangUpsPrintsItsKeysAndDrawsItsChart() throws {
        let (server, url) = try mock()
        defer {
            kill(server.processIdentifier, SIGINT)
            let deadline = Date().addingTimeInterval(10)
            while server.isRunning && Date() < deadline { usleep(20_000) }
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let directory = TestPaths.temporaryDirectory("bench-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try runInferLab([
            "bench", "--url", url, "--scenario", "sweep", "--sweep", "1,2", "--requests", "10", "--cancel-fraction",
            "0.3", "--cancel-after", "4", "--out", directory.appendingPathComponent("b.sqlite").path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let requests = try #require(json["requests"] as? [String: Int])
        #expect(requests["total"] == 20)
        #expect(requests["failed"] == 0)
        #expect((requests["cancelled"] ?? 0) > 0)
        #expect(requests["completed"]! + requests["cancelled"]! == 20)
        #expect((json["steps"] as? [Any])?.count == 2)
        #expect(json["workload"] as? String == "built-in corpus")
        let chart = directory.appendingPathComponent("bench-run-1-pareto.svg")
        let svg = try String(contentsOf: chart, encoding: .utf8)
        #expect(svg.contains("TTFT p99") && svg.contains("c=2"))
        #expect(result.stderr.contains("chart: \(chart.path)"))
    }

    @Test func badWorkloadInputIsOneErrorLineAndExitTwo() throws {
        let directory = TestPaths.temporaryDirectory("bench-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("t.csv")
        try "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,12,4\n2023-11-16 18:15:47.00,x,4\n"
            .write(to: trace, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--input-tokens", "gamma:3"], "unknown kind 'gamma'"),
            (["--cancel-fraction", "0.2"], "cancel_after"),
            (["--cancel-fraction", "0.2", "--cancel-after", "soon"], "--cancel-after: 'soon'"),
            (["--max-rate"], "slo"),
            (["--sessions", "2", "--scenario", "poisson", "--rate", "1"], "sessions are their own closed loop"),
            (
                ["--trace", trace.path, "--url", "http://127.0.0.1:9"],
                "line 3: ContextTokens 'x' is not a whole number"
            ),
        ]
        for (arguments, message) in cases {
            let result = try runInferLab(["bench", "--no-store"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(
                result.stderr.hasPrefix("error: ") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
