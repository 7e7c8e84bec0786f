import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Runs a command's body as the one service of a `ServiceGroup` that shuts down gracefully on
/// `signals`: the body hears it through `withGracefulShutdownHandler`,
/// `cancelWhenGracefulShutdown` or `cancelOnGracefulShutdown()`, tears down and returns what it
/// has, which this returns. The one place where `run`, `stress` and `probe` trap signals
/// (`exec` passes them on to its command instead, see `GatedChild.wait(forwarding:)`).
func untilShutdownSignal<Value: Sendable>(
    _ signals: [UnixSignal] = [.sigint, .sigterm], _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let service = CommandService(body: body)
    let group = ServiceGroup(
        configuration: .init(
            services: [
                .init(
                    service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup)
            ],
            gracefulShutdownSignals: signals,
            logger: Logger(label: "inferlab.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
    try await group.run()
    guard let value = service.value.withLock({ $0 }) else { throw CancellationError() }
    return value
}

/// A command's body as a service; keeps what it returned.
private final class CommandService<Value: Sendable>: Service {
    let body: @Sendable () async throws -> Value
    let value = Mutex<Value?>(nil)

    init(body: @escaping @Sendable () async throws -> Value) { self.body = body }

    func run() async throws {
        let result = try await body()
        value.withLock { $0 = result }
    }
}
