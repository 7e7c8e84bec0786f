import Foundation
public import Hummingbird
import HTTPTypes
public import InferenceCore
import LlamaEngine
public import Logging
import NIOCore
import ServiceLifecycle

/// The OpenAI-compatible server: routes, admission, metrics, and the services that load the
/// engine and drain it on shutdown.
public struct InferenceServer: Sendable {
    public let configuration: ServerConfiguration
    public let state: ServerState
    let admission: Admission
    let metrics: ServerMetrics
    let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "inferlab.serve")) {
        self.configuration = configuration
        self.logger = logger
        state = ServerState()
        admission = Admission(
            limits: .init(maxQueue: configuration.maxQueue, maxQueuedTokens: configuration.maxQueuedTokens))
        metrics = ServerMetrics()
    }

    /// The router with every route; tests drive it in-process.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let handler = CompletionHandler(
            configuration: configuration, state: state, admission: admission, metrics: metrics, logger: logger)
        let state = self.state
        let metrics = self.metrics
        let admission = self.admission
        let configuration = self.configuration

        router.get("/health") { _, _ -> Response in
            let name = state.name
            let status: HTTPResponse.Status = name == "ok" ? .ok : .serviceUnavailable
            return Self.json(status: status, ["status": name])
        }
        router.get("/metrics") { _, _ -> Response in
            let snapshot: EngineSnapshot
            switch state.current {
            case .ready(let backend), .draining(let backend): snapshot = backend.snapshot
            default: snapshot = EngineSnapshot()
            }
            let text = metrics.render(snapshot: snapshot, admissionQueued: admission.queued)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/v1/models") { request, _ -> Response in
            if let denied = Self.authorize(request, configuration) { return denied }
            let model: [String: Any] = [
                "id": configuration.servedModelName, "object": "model", "owned_by": "inferlab",
                "created": Int(Date().timeIntervalSince1970),
            ]
            let data = try JSONSerialization.data(withJSONObject: ["object": "list", "data": [model]])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        for (path, flavor) in [
            ("/v1/chat/completions", WireFlavor.chat), ("/v1/completions", .completion), ("/generate", .generate),
        ] {
            router.post(RouterPath(stringLiteral: path)) { request, _ -> Response in
                if let denied = Self.authorize(request, configuration) { return denied }
                var request = request
                let body: ByteBuffer
                do {
                    body = try await request.collectBody(upTo: configuration.maxBodyBytes)
                } catch {
                    metrics.request(status: 413)
                    return Self.error(
                        APIError(
                            .contentTooLarge, "the request body exceeds \(configuration.maxBodyBytes) bytes",
                            code: "body_too_large"))
                }
                return await handler.handle(flavor, body: body)
            }
        }
        return router
    }

    static func authorize(_ request: Request, _ configuration: ServerConfiguration) -> Response? {
        guard let key = configuration.apiKey else { return nil }
        if request.headers[.authorization] == "Bearer \(key)" { return nil }
        let present = request.headers[.authorization] != nil
        return error(
            APIError(
                .unauthorized, present ? "incorrect API key" : "missing API key: send Authorization: Bearer <key>",
                type: "invalid_request_error", code: "invalid_api_key"))
    }

    static func error(_ error: APIError) -> Response {
        let data = (try? JSONEncoder().encode(error.body)) ?? Data()
        return Response(
            status: error.status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    static func json(status: HTTPResponse.Status, _ value: [String: String]) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data))
        )
    }

    /// Runs the server until SIGTERM/SIGINT: binds first (so `/health` answers 503 while the
    /// model loads), loads the model and engine, serves, then drains: new requests get 503,
    /// in-flight ones get up to `drainTimeoutSeconds`, then the engine stops.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = Application(
            router: router(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "inferlab"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let engine = EngineService(configuration: configuration, state: state, logger: logger)
        let drain = DrainService(state: state, timeout: configuration.drainTimeoutSeconds, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: engine),
                    .init(service: application),
                    .init(service: drain),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Loads the model and starts the engine; on shutdown stops the engine (after the HTTP server
/// has drained, because services stop in reverse order).
struct EngineService: Service {
    let configuration: ServerConfiguration
    let state: ServerState
    let logger: Logger

    func run() async throws {
        let configuration = self.configuration
        let backend: LlamaGenerationBackend
        do {
            backend = try await Task.detached {
                let model = try LlamaModel(
                    path: try ModelCatalog.resolve(configuration.model), options: configuration.engine.model)
                return LlamaGenerationBackend(
                    model: model, engine: try InferenceEngine(model: model, configuration: configuration.engine))
            }.value
        } catch {
            state.failed("\(error)")
            logger.error("cannot load the model: \(error)")
            throw error
        }
        state.ready(backend)
        logger.info(
            "ready",
            metadata: [
                "model": "\(backend.model.metadata.name)",
                "load_ms": "\(String(format: "%.0f", backend.model.loadMilliseconds))",
                "scheduler": "\(configuration.engine.scheduler.kind.rawValue)",
                "n_ctx": "\(backend.engine.contextLength)",
            ])
        try? await gracefulShutdown()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                backend.shutdown()
                done.resume()
            }
        }
        logger.info("engine stopped")
    }
}

/// The first service to hear a shutdown signal: flips the state to draining (health 503, new
/// requests 503) and waits until in-flight requests finish or the drain timeout passes, before
/// the HTTP server is told to stop.
struct DrainService: Service {
    let state: ServerState
    let timeout: Double
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        guard let backend = state.drain() else { return }
        logger.info("draining", metadata: ["timeout_s": "\(timeout)"])
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            let snapshot = backend.snapshot
            if snapshot.running == 0 && snapshot.waiting == 0 { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let snapshot = backend.snapshot
        if snapshot.running + snapshot.waiting > 0 {
            logger.warning("drain timeout: stopping \(snapshot.running + snapshot.waiting) unfinished requests")
        }
    }
}
