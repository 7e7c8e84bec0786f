import Foundation
public import InferLabCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An in-process OpenAI-style server that streams a fixed number of tokens at a fixed interval,
/// for `bench calibrate` and tests. It can be told to misbehave (HTTP errors, cut streams,
/// malformed JSON, non-SSE answers, error events) and it logs when it sent each token, on the
/// same monotonic clock as the client.
public final class MockOpenAIServer: Sendable {
    /// What every completion request gets.
    public struct Behavior: Sendable, Equatable {
        /// How the server (mis)behaves.
        public enum Mode: Sendable, Equatable {
            case normal
            /// Answers this status with an OpenAI error body.
            case httpError(status: Int)
            /// Closes the connection after this many tokens.
            case closeMidStream(afterTokens: Int)
            /// Sends `data: {not json` in place of this token (0-based), then goes on.
            case malformedChunk(atToken: Int)
            /// Answers 200 with an HTML body.
            case notSSE
            /// Sends an `error` object in place of this token, then `[DONE]`.
            case errorEvent(atToken: Int)
        }

        /// Tokens per response. The default is 16.
        public var tokens: Int = 16
        /// Gap between tokens; zero streams as fast as the socket takes them. The default is 1 ms.
        public var interval: Duration = .milliseconds(1)
        /// Events written per flush when the interval is 0. The default is 32.
        public var eventsPerWrite: Int = 32
        /// The default is `.normal`.
        public var mode: Mode = .normal

        public init(
            tokens: Int = 16, interval: Duration = .milliseconds(1), eventsPerWrite: Int = 32, mode: Mode = .normal
        ) {
            self.tokens = tokens
            self.interval = interval
            self.eventsPerWrite = eventsPerWrite
            self.mode = mode
        }
    }

    /// The bound port.
    public let port: Int
    public let behavior: Behavior
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let log: SendLog

    /// The base URL, `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the server on its own event-loop thread (port 0 picks a free port).
    public static func start(behavior: Behavior, host: String = "127.0.0.1", port: Int = 0) async throws(LoadGenError)
        -> MockOpenAIServer
    {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = SendLog()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MockStreamHandler(behavior: behavior, log: log))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            guard let bound = channel.localAddress?.port else {
                throw LoadGenError(.server, "the mock server has no local port")
            }
            return MockOpenAIServer(port: bound, behavior: behavior, group: group, channel: channel, log: log)
        } catch let error as LoadGenError {
            try? await group.shutdownGracefully()
            throw error
        } catch {
            try? await group.shutdownGracefully()
            throw LoadGenError(.server, "cannot start the mock server on \(host):\(port)", cause: error)
        }
    }

    private init(port: Int, behavior: Behavior, group: MultiThreadedEventLoopGroup, channel: any Channel, log: SendLog)
    {
        self.port = port
        self.behavior = behavior
        self.group = group
        self.channel = channel
        self.log = log
    }

    /// Stops listening and shuts the event loop down.
    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// The send times (ns) of the tokens of every finished stream, in stream completion order.
    public func sendTimes() -> [[MonotonicInstant]] { log.all() }

    /// Forgets the logged send times.
    public func resetSendTimes() { log.reset() }
}

final class SendLog: Sendable {
    private let streams = Mutex<[[MonotonicInstant]]>([])
    func append(_ times: [MonotonicInstant]) { streams.withLock { $0.append(times) } }
    func all() -> [[MonotonicInstant]] { streams.withLock { $0 } }
    func reset() { streams.withLock { $0.removeAll() } }
}
