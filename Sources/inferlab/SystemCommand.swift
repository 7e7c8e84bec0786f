import ArgumentParser
import Foundation
import SystemSetup

/// `inferlab system`: show, prepare and restore the machine's configuration.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Show, prepare and restore the machine (governor, turbo, swappiness, THP, swap, memlock).",
        subcommands: [Show.self, Prepare.self, Restore.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show kernel, CPU, frequency, memory, memlock, cgroup, PSI and clock settings with their sources."
        )

        @Flag(help: "Print one JSON object.") var json = false
        @Option(help: ArgumentHelp("Read this directory as / (a fixture tree).", visibility: .hidden)) var root = "/"

        func run() async throws {
            try await reportingErrors {
                let info = SystemShow.read(root: root)
                if json {
                    try printJSON(info)
                } else {
                    print(SystemCommand.table(info))
                }
            }
        }
    }

    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a profile, saving every previous value so `inferlab system restore` undoes it.")

        @Option(help: "bounded, paging, or the path of a JSON or YAML profile file.") var profile = "bounded"
        @Flag(help: "Print the plan only; change nothing.") var dryRun = false
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingErrors {
                let chosen = try SystemProfile.named(profile)
                let report = try SystemPreparation().prepare(profile: chosen, dryRun: dryRun)
                if json {
                    try printJSON(report)
                } else {
                    print(SystemCommand.text(report))
                }
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put back every setting saved by `prepare` and remove what it created (harmless to repeat).")

        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingErrors {
                let report = try SystemPreparation().restore()
                if json {
                    try printJSON(report)
                } else {
                    print(SystemCommand.text(report))
                }
                if !report.complete { throw ExitCode(1) }
            }
        }
    }
}

extension SystemCommand {
    static func table(_ info: SystemInfo) -> String {
        func show<T>(_ value: Sourced<T>, _ format: (T) -> String = { "\($0)" }) -> (String, String) {
            let text = value.value.map(format) ?? "-"
            let note = value.note.map { " (\($0))" } ?? ""
            return (text + note, value.source)
        }
        func bytes(_ value: UInt64) -> String { String(format: "%.1f MiB", Double(value) / 1_048_576) }
        let rows: [(String, (String, String))] = [
            ("kernel", show(info.kernel.release)),
            ("distribution", show(info.kernel.distribution)),
            ("cpu model", show(info.cpu.model)),
            ("logical cpus", show(info.cpu.logicalCPUs)),
            ("sockets", show(info.cpu.sockets)),
            ("cores", show(info.cpu.cores)),
            ("threads per core", show(info.cpu.threadsPerCore)),
            ("numa nodes", show(info.cpu.numaNodes)),
            ("hypervisor flag", show(info.virtualization.hypervisorFlag)),
            ("dmi vendor", show(info.virtualization.dmiVendor)),
            ("container hints", show(info.virtualization.containerHints) { $0.joined(separator: ", ") }),
            ("cpufreq driver", show(info.frequency.driver)),
            (
                "governors",
                show(info.frequency.governors) { $0.map { "cpu\($0.cpu)=\($0.governor)" }.joined(separator: " ") }
            ),
            ("boost", show(info.frequency.boost)),
            ("swappiness", show(info.memory.swappiness)),
            ("transparent hugepages", show(info.memory.transparentHugepages)),
            ("thp defrag", show(info.memory.transparentHugepagesDefrag)),
            (
                "swap",
                show(info.memory.swapDevices) {
                    $0.isEmpty ? "none" : $0.map { "\($0.path) \(bytes($0.sizeBytes))" }.joined(separator: ", ")
                }
            ),
            ("memory total", show(info.memory.totalBytes, bytes)),
            ("memory free", show(info.memory.freeBytes, bytes)),
            ("memory available", show(info.memory.availableBytes, bytes)),
            ("page cache", show(info.memory.pageCacheBytes, bytes)),
            ("memlock soft", show(info.memlock.soft)),
            ("memlock hard", show(info.memlock.hard)),
            ("CAP_IPC_LOCK", show(info.memlock.capIPCLock)),
            ("cgroup version", show(info.cgroup.version)),
            ("cgroup2 mount", show(info.cgroup.v2Mount)),
            ("cgroup2 controllers", show(info.cgroup.v2Controllers) { $0.joined(separator: " ") }),
            ("cgroup v1 controllers", show(info.cgroup.v1Controllers) { $0.joined(separator: " ") }),
            (
                "own cgroups",
                show(info.cgroup.ownPaths) {
                    $0.map { "\($0.controllers.isEmpty ? "v2" : $0.controllers.joined(separator: ",")):\($0.path)" }
                        .joined(separator: " ")
                }
            ),
            ("psi", show(info.psi) { $0.isEmpty ? "none" : $0.joined(separator: " ") }),
            ("perf_event_paranoid", show(info.perfEventParanoid)),
            ("clocksource", show(info.clocksource)),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { name, cell in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + cell.0 + "  [" + cell.1 + "]"
        }.joined(separator: "\n")
    }

    static func text(_ report: PreparationReport) -> String {
        var lines: [String] = []
        if let previous = report.completedPrevious {
            lines.append(
                report.dryRun
                    ? "an unfinished preparation (\(previous.profile ?? "?")) would be restored first"
                    : "restored an unfinished preparation (\(previous.profile ?? "?")) first")
        }
        lines.append(
            "\(report.dryRun ? "plan for" : "prepared") profile \(report.profile) (state: \(report.stateFile))")
        for setting in report.settings {
            let change = "\(setting.previous ?? "-") -> \(setting.target)"
            let reason = setting.reason.map { "  (\($0))" } ?? ""
            lines.append("  \(setting.setting): \(setting.status.rawValue)  \(change)\(reason)")
        }
        return lines.joined(separator: "\n")
    }

    static func text(_ report: RestoreReport) -> String {
        guard report.found else { return "nothing to restore (no state file at \(report.stateFile))" }
        var lines = ["restored profile \(report.profile ?? "?")\(report.complete ? "" : " (incomplete; state kept)")"]
        for setting in report.settings {
            let reason = setting.reason.map { "  (\($0))" } ?? ""
            lines.append("  \(setting.setting): \(setting.status.rawValue)  \(setting.value ?? "")\(reason)")
        }
        return lines.joined(separator: "\n")
    }
}
