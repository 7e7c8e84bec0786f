import ArgumentParser
import Constraints
import Foundation
import SystemProbe

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract:
            "Run a command under a CPU quota, memory limits, CPU affinity and page-cache state; report its cgroup at exit.",
        discussion: "Example: inferlab exec --cpu-quota 0.5 --memory-max 300M --json -- inferlab generate --prompt Hi")

    @Option(parsing: .unconditional, help: "CPU quota in cores, e.g. 0.5.") var cpuQuota: String?
    @Option(parsing: .unconditional, help: "Hard memory limit, e.g. 300M or 1G.") var memoryMax: String?
    @Option(parsing: .unconditional, help: "Throttling memory limit (cgroup v2 only), e.g. 250M.") var memoryHigh:
        String?
    @Option(help: "CPUs to run on, e.g. 0,1 or 0-1.") var cpus: String?
    @Option(help: "Evict this file from the page cache first.") var coldCache: String?
    @Option(help: "Pre-warm this file into the page cache first.") var warmCache: String?
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func run() async throws {
        try await reportingErrors {
            guard !command.isEmpty else {
                throw UsageError("no command: give it after --, e.g. inferlab exec -- sleep 1")
            }
            var options = ExecOptions(command: command)
            if let cpuQuota {
                guard let cores = Double(cpuQuota), cores.isFinite, cores > 0 else {
                    throw UsageError("--cpu-quota '\(cpuQuota)' must be a positive number of cores, e.g. 0.5")
                }
                options.cpuQuotaCores = cores
            }
            options.memoryMaxBytes = try memoryMax.map { try Self.size($0, flag: "--memory-max") }
            options.memoryHighBytes = try memoryHigh.map { try Self.size($0, flag: "--memory-high") }
            if let cpus {
                guard let list = CPUList.parse(cpus), !list.isEmpty else {
                    throw UsageError("--cpus '\(cpus)' is not a CPU list like 0,1 or 0-3")
                }
                options.cpus = list
            }
            options.coldCacheFile = coldCache
            options.warmCacheFile = warmCache
            // What an exec killed by -9 left: its cgroup (the command died with it).
            if options.needsCgroup, let removed = LeftoverFinder.onThisMachine().reclaim().summary {
                FileHandle.standardError.write(Data("inferlab exec: \(removed)\n".utf8))
            }
            let result = try await ConstrainedExec.run(options)
            if json {
                try printJSON(result)
            } else {
                FileHandle.standardError.write(Data(Self.summary(result).utf8))
            }
            if let status = result.exitStatus, status != 0 { throw ExitCode(status) }
            if let signal = result.signal { throw ExitCode(128 + signal) }
        }
    }

    static func size(_ text: String, flag: String) throws -> UInt64 {
        guard let bytes = Quantity.bytes(text), bytes > 0 else {
            throw UsageError("\(flag) '\(text)' is not a size like 300M, 1G or 1048576")
        }
        return bytes
    }

    static func summary(_ r: ExecResult) -> String {
        var lines = [
            "--- inferlab exec: pid \(r.pid), "
                + (r.signal.map { "killed by signal \($0)" } ?? "exit status \(r.exitStatus ?? -1)")
                + String(format: ", %.0f ms", r.wallMs)
        ]
        for (name, control) in r.controls.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(control.applied ? "applied" : "not applied"): \(control.reason)")
        }
        if let version = r.cgroupVersion {
            lines.append(
                "  cgroup \(version.rawValue) \(r.cgroupPath ?? ""): cpu usage \(r.cpu.usageUsec.map(String.init) ?? "-") us, "
                    + "throttled \(r.cpu.nrThrottled.map(String.init) ?? "-")/\(r.cpu.nrPeriods.map(String.init) ?? "-") periods "
                    + "(\(r.cpu.throttledUsec.map(String.init) ?? "-") us); memory peak \(r.memory.peakBytes.map(String.init) ?? "-") B, "
                    + "oom_kill \(r.memory.oomKill.map(String.init) ?? "-")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
