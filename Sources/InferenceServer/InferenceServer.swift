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
            limits: .init(
                concurrency: configuration.engine.scheduler.concurrency, maxQueue: configuration.maxQueue,
                maxQueuedTokens: configuration.maxQueuedTokens))
        metrics = ServerMetrics()
    }

    /// The router with every route; tests drive it in-process.
    public func router() -> Router<InferenceRequestContext> {
        let router = Router(context: InferenceRequestContext.self)
        let handler = CompletionHandler(
            configuration: configuration, state: state, admission: admission, metrics: metrics, logger: logger)
        let state = self.state
        let metrics = self.metrics
        let admission = self.admission
        let modelName = configuration.servedModelName

        router.get("/health") { _, _ in
            let name = state.name
            var flash: FlashAttentionDecision?
            if case .ready(let backend) = state.current { flash = backend.flashAttention }
            return EditedResponse(
                status: name == "ok" ? .ok : .serviceUnavailable,
                response: WireHealth(status: name, flashAttn: flash?.chosen.rawValue, flashAttnDetail: flash?.summary))
        }
        router.get("/metrics") { _, _ in
            let snapshot: EngineSnapshot
            switch state.current {
            case .ready(let backend), .draining(let backend): snapshot = backend.snapshot
            default: snapshot = EngineSnapshot()
            }
            return EditedResponse(
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                response: metrics.render(snapshot: snapshot, admissionWaiting: admission.waiting))
        }

        let api = router.group()
        if let key = configuration.apiKey { api.add(middleware: APIKeyMiddleware(key: key)) }
        api.get("/v1/models") { _, _ in
            WireModelList(data: [.init(id: modelName, created: Int(Date().timeIntervalSince1970))])
        }
        api.post("/tokenize") { request, _ in
            guard let backend = state.acceptingBackend else {
                throw APIError(
                    .serviceUnavailable, "the model is \(state.name)", type: "server_error", code: state.name)
            }
            let body = try await request.body.collect(upTo: 16 << 20)
            let wire: WireTokenize
            do {
                wire = try JSONDecoder().decode(WireTokenize.self, from: Data(buffer: body))
            } catch {
                throw APIError.invalid("the body must be {\"content\": TEXT[, \"add_special\": BOOL]}")
            }
            guard let text = wire.content ?? wire.prompt else {
                throw APIError.invalid("\"content\" is required", param: "content")
            }
            do {
                return WireTokens(tokens: try backend.tokenize(text, addSpecial: wire.addSpecial ?? false))
            } catch {
                throw APIError(.badRequest, "cannot tokenize: \(error)", code: "invalid_prompt")
            }
        }
        for (path, flavor) in [
            ("/v1/chat/completions", WireFlavor.chat), ("/v1/completions", .completion), ("/generate", .generate),
        ] {
            api.post(RouterPath(stringLiteral: path)) { request, context in
                try await handler.respond(to: request, context: context, flavor)
            }
        }
        return router
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
                "flash_attn": "\(backend.engine.flashAttention.summary)",
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
