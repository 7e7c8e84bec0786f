import ArgumentParser
import Foundation
import LoadGen
import ServiceLifecycle

extension BenchCommand {
    /// `inferlab bench mock`: the calibration mock as a server of its own, so any client (GuideLLM,
    /// AIPerf, vLLM's bench) can be measured against a server that costs nothing.
    struct Mock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve an OpenAI-style mock that streams fixed tokens (until SIGINT or SIGTERM).",
            discussion: """
                Answers POST /v1/chat/completions, /v1/completions and /generate with a stream of \
                --tokens tokens at --interval-ms apart (0: as fast as the socket takes them), and \
                GET /v1/models and /health. Prints its URL on standard output once it listens.
                """)

        @Option(help: "Port to listen on (0 picks a free one).") var port = 0
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(help: "Tokens per response.") var tokens = 16
        @Option(help: "Gap between tokens in ms; 0 streams at once.") var intervalMs = 0.0

        func run() async throws {
            try await reportingErrors {
                guard tokens >= 1 else { throw UsageError("--tokens must be at least 1 (got \(tokens))") }
                guard intervalMs >= 0, intervalMs.isFinite else {
                    throw UsageError("--interval-ms must be >= 0 (got \(intervalMs))")
                }
                let behavior = MockOpenAIServer.Behavior(
                    tokens: tokens, interval: .nanoseconds(Int64((intervalMs * 1_000_000).rounded())))
                let server = try await MockOpenAIServer.start(behavior: behavior, host: host, port: port)
                FileHandle.standardOutput.write(Data("http://\(host):\(server.port)\n".utf8))
                _ = try? await untilShutdownSignal {
                    try? await gracefulShutdown()
                    return true
                }
                await server.stop()
            }
        }
    }
}
