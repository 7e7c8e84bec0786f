import ArgumentParser
import Constraints
import Foundation
import ServiceLifecycle
import SystemProbe

struct StressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Background load: CPU at a percentage on N workers (stress-ng or built-in), and/or locked memory.")

    @Option(help: "CPU workers (0 for none).") var cpu = 1
    @Option(help: "Percent of each worker's CPU, 1-100.") var load = 100
    @Option(help: "How long, e.g. 30s.") var duration = "30s"
    @Option(help: "Memory to pin with mlock, e.g. 1G.") var lockMemory: String?
    @Option(help: "After pinning --lock-memory, pin more until at most --squeeze-resident of this file is cached.")
    var squeezeFile: String?
    @Option(help: "The file's resident share to squeeze to, 0-1.") var squeezeResident: Double?
    @Option(help: "Write {\"added_bytes\", \"resident\"} here (JSON) once the memory is pinned.") var statusFile:
        String?
    @Flag(help: "After the squeeze, pin the zones' watermark slack (high less min) too: machine-wide pressure.")
    var squeezeSlack = false
    @Flag(help: "Use the built-in CPU burner even when stress-ng is installed.") var builtin = false
    @Flag(help: "Print what was started as JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            guard let seconds = Quantity.seconds(duration), seconds > 0 else {
                throw UsageError("--duration '\(duration)' is not a duration like 30s")
            }
            var lockBytes: UInt64?
            if (squeezeFile == nil) != (squeezeResident == nil) {
                throw UsageError("--squeeze-file and --squeeze-resident go together")
            }
            if let lockMemory {
                guard let bytes = Quantity.bytes(lockMemory), bytes > 0 else {
                    throw UsageError("--lock-memory '\(lockMemory)' is not a size like 1G")
                }
                lockBytes = bytes
            }
            let configuration = BackgroundLoadConfiguration(
                cpuWorkers: cpu, loadPercent: self.load, durationSeconds: seconds, lockMemoryBytes: lockBytes,
                useStressNG: !builtin)
            // SIGINT / SIGTERM stop the workers and release the locked memory before exiting.
            let load = try await untilShutdownSignal {
                let load = try BackgroundLoad.start(configuration)
                var added: UInt64 = 0
                var resident: Double?
                if let squeezeFile, let squeezeResident {
                    // MemAvailable already nets out the kernel's low watermarks.
                    (added, resident) = load.squeeze(file: squeezeFile, target: squeezeResident, floor: 8 << 20)
                    // Then the watermarks' slack too: measured, a model squeezed to 43 % came back to
                    // 100 % resident while decoding, into the free memory kswapd keeps above min.
                    let slack = MemoryPressure.watermarkSlack(zoneinfo: ProcFS.read("/proc/zoneinfo") ?? "")
                    if squeezeSlack, slack > 0, load.pin(bytes: slack) { added += slack }
                }
                if let statusFile {
                    let status = MemoryLocker.Status(addedBytes: added, resident: resident)
                    try JSONEncoder().encode(status).write(to: URL(fileURLWithPath: statusFile), options: .atomic)
                }
                if json {
                    try printJSON(load.outcomes)
                } else {
                    for (name, outcome) in load.outcomes.sorted(by: { $0.key < $1.key }) {
                        print("\(name): \(outcome.applied ? "applied" : "NOT applied") - \(outcome.reason)")
                    }
                }
                await withGracefulShutdownHandler {
                    await load.wait()
                } onGracefulShutdown: {
                    load.stop()
                }
                return load
            }
            if load.outcomes.values.contains(where: { !$0.applied }) { throw ExitCode(1) }
        }
    }
}
