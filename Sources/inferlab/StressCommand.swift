import ArgumentParser
import Constraints
import Foundation
import SystemProbe

struct StressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Background load: CPU at a percentage on N workers (stress-ng or built-in), and/or locked memory.")

    @Option(help: "CPU workers (0 for none).") var cpu = 1
    @Option(help: "Percent of each worker's CPU, 1-100.") var load = 100
    @Option(help: "How long, e.g. 30s.") var duration = "30s"
    @Option(help: "Memory to pin with mlock, e.g. 1G.") var lockMemory: String?
    @Flag(help: "Use the built-in CPU burner even when stress-ng is installed.") var builtin = false
    @Flag(help: "Print what was started as JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            guard let seconds = Quantity.seconds(duration), seconds > 0 else {
                throw UsageError("--duration '\(duration)' is not a duration like 30s")
            }
            var lockBytes: UInt64?
            if let lockMemory {
                guard let bytes = Quantity.bytes(lockMemory), bytes > 0 else {
                    throw UsageError("--lock-memory '\(lockMemory)' is not a size like 1G")
                }
                lockBytes = bytes
            }
            let load = try BackgroundLoad.start(
                BackgroundLoadConfiguration(
                    cpuWorkers: cpu, loadPercent: self.load, durationSeconds: seconds, lockMemoryBytes: lockBytes,
                    useStressNG: !builtin))
            if json {
                try printJSON(load.outcomes)
            } else {
                for (name, outcome) in load.outcomes.sorted(by: { $0.key < $1.key }) {
                    print("\(name): \(outcome.applied ? "applied" : "NOT applied") - \(outcome.reason)")
                }
            }
            let forwarder = StopOnSignal { load.stop() }
            await load.wait()
            forwarder.cancel()
            if load.outcomes.values.contains(where: { !$0.applied }) { throw ExitCode(1) }
        }
    }
}

/// Runs a handler on SIGINT / SIGTERM instead of dying, so workers and locks are released.
final class StopOnSignal {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
