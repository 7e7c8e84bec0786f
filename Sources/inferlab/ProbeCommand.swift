import ArgumentParser
import Constraints
import Foundation
import InferLabCore
import Profiling
import ServiceLifecycle
import SystemProbe

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Sample a process, its threads and cgroup, the system and a file's page-cache residency.",
        discussion: """
            A live table on a terminal, JSONL otherwise (or with --json). `--file PATH --once --json` prints the
            file's resident_fraction and, for a GGUF model, the residency of each tensor and layer.
            `--file PATH --page-trace -- CMD ARGS` runs CMD with the file's page cache traced (tracefs filemap
            events, root): pages in and out, re-reads, read sizes, the sequential fraction, per tensor.
            """)

    @Option(help: "The process to sample.") var pid: Int32?
    @Option(help: "A cgroup directory or hierarchy path; default: the process's own; 'none' to skip.") var cgroup:
        String?
    @Option(help: "A file (the model) whose page-cache residency is sampled.") var file: String?
    @Option(help: "Time between samples (min 10ms).") var interval = "100ms"
    @Option(help: "How long to sample (default: until the process exits).") var duration: String?
    @Option(help: "Write JSONL samples to this file.") var out: String?
    @Flag(help: "Take one sample (or one residency map with --file) and exit.") var once = false
    @Flag(help: "Print JSON (JSONL for a series) instead of a table.") var json = false
    @Flag(help: "Do not sample each thread.") var noThreads = false
    @Option(
        help:
            "Take the slow readings (threads, status, io, system, cgroup memory) at most this often (0: every sample).")
    var slowInterval = "100ms"
    @Option(help: "Measure the file's residency at most this often (0: every sample).") var residencyInterval = "1s"

    @Flag(help: "At the end, print the probe's own CPU cost (from /proc/self/stat) as JSON on stderr.")
    var selfCost = false
    @Flag(help: "Trace the --file's page cache while the command after -- runs (needs root).") var pageTrace = false
    @Argument(parsing: .postTerminator, help: "With --page-trace: the command to run, after --.") var command:
        [String] = []

    func run() async throws {
        try await reportingErrors {
            guard let intervalSeconds = Quantity.seconds(interval) else {
                throw UsageError("--interval '\(interval)' is not a duration like 100ms or 1s")
            }
            guard let slowSeconds = Quantity.seconds(slowInterval) else {
                throw UsageError("--slow-interval '\(slowInterval)' is not a duration like 100ms or 1s")
            }
            guard let residencySeconds = Quantity.seconds(residencyInterval) else {
                throw UsageError("--residency-interval '\(residencyInterval)' is not a duration like 1s")
            }
            var durationSeconds: Double?
            if let duration {
                guard let seconds = Quantity.seconds(duration) else {
                    throw UsageError("--duration '\(duration)' is not a duration like 10s or 2m")
                }
                durationSeconds = seconds
            }
            if pageTrace || !command.isEmpty {
                guard pageTrace, let file, !command.isEmpty else {
                    throw UsageError(
                        "--page-trace needs --file PATH and a command after --, e.g. --page-trace -- sleep 1")
                }
                guard FileManager.default.fileExists(atPath: file) else {
                    throw UsageError("--file \(file) does not exist")
                }
                if let removed = LeftoverFinder.onThisMachine().reclaim().summary {
                    FileHandle.standardError.write(Data("inferlab probe: \(removed)\n".utf8))
                }
                let (summary, status) = try await PageTracing.run(file: file, command: command)
                if json {
                    try printJSON(summary)
                } else {
                    print(Self.pageTraceTable(summary))
                }
                let exit = ProcessExit.fromWaitStatus(status)
                if let code = exit.status, code != 0 { throw ExitCode(code) }
                if let signal = exit.signal { throw ExitCode(128 + signal) }
                return
            }
            guard pid != nil || file != nil || cgroup != nil || once else {
                throw UsageError("give --pid, --cgroup or --file (or --once for a system sample)")
            }
            if once, pid == nil, cgroup == nil, let file {
                let residency = try FileResidency.measure(path: file, tensors: true)
                if json { try printJSON(residency) } else { print(Self.residencyTable(residency)) }
                return
            }
            let sampler = try ProbeSampler(
                ProbeConfiguration(
                    pid: pid, cgroup: cgroup, filePath: file, intervalMilliseconds: intervalSeconds * 1000,
                    durationSeconds: durationSeconds, includeThreads: !noThreads,
                    residencyIntervalMilliseconds: residencySeconds * 1000, slowIntervalMilliseconds: slowSeconds * 1000
                ))
            if once {
                try printJSON(sampler.sampleOnce(), pretty: !json)
                return
            }
            // SIGINT / SIGTERM end the series like --duration does: what was sampled is written,
            // the --self-cost line printed, the file closed.
            try await untilShutdownSignal { try await stream(sampler) }
        }
    }

    private func stream(_ sampler: ProbeSampler) async throws {
        var buffer: [UInt8] = []
        var output: FileHandle?
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil) else {
                throw UsageError("cannot create --out file \(out)")
            }
            output = FileHandle(forWritingAtPath: out)
        }
        defer { try? output?.close() }
        let startCPU = try ProcessStat.parse(ProcFS.require("/proc/self/stat"))
        let startTime = MonotonicInstant.now()
        let table = !json && isatty(STDOUT_FILENO) == 1
        if table { print(ProbeTable.header) }
        var count = 0
        var rows = 0
        // JSONL goes out in one write per batch, not one per sample: every 50 ms at most for a
        // terminal (the live table), every 250 ms when only a file or pipe reads it.
        let delivery = table ? ProbeSampler.deliveryMilliseconds : 250
        for await batch in sampler.batches(deliveryMilliseconds: delivery).cancelOnGracefulShutdown() {
            buffer.removeAll(keepingCapacity: true)
            for sample in batch {
                try sample.appendJSON(to: &buffer)  // no Encoder pass: one line per sample at up to 100 Hz
                buffer.append(UInt8(ascii: "\n"))
                // The table shows the samples with the slow readings (RSS, context switches, system).
                if table && (sample.pid == nil || sample.rssBytes != nil || sample.event == "exit") {
                    if rows > 0 && rows % 40 == 0 { print(ProbeTable.header) }
                    print(ProbeTable.row(sample))
                    rows += 1
                }
                count += 1
            }
            if let output { try Self.write(buffer, to: output.fileDescriptor) }
            if !table && (output == nil || json) { try Self.write(buffer, to: STDOUT_FILENO) }
        }
        if selfCost {
            let end = try ProcessStat.parse(ProcFS.require("/proc/self/stat"))
            let cpu =
                Double(end.utimeTicks + end.stimeTicks - startCPU.utimeTicks - startCPU.stimeTicks)
                / ProcFS.ticksPerSecond
            let wall = startTime.elapsed.seconds
            let cost = [
                "probe_cpu_s": cpu, "wall_s": wall, "cpu_fraction_of_one_core": cpu / max(wall, 1e-9),
                "samples": Double(count),
            ]
            let data = try CompactJSONEncoder().encode(cost) + Array("\n".utf8)
            FileHandle.standardError.write(Data(data))
        }
    }

    /// Writes all of `bytes` to `fd` (no `Data` copy), retrying short writes and EINTR.
    private static func write(_ bytes: [UInt8], to fd: Int32) throws {
        if let code = writeAll(bytes, to: fd) {
            throw ProbeError(.system, "cannot write probe output: \(String(cString: strerror(code)))")
        }
    }

    static func pageTraceTable(_ t: PageTraceSummary) -> String {
        var lines = [
            "\(t.file): \(t.pagesIn) pages in (\(t.distinctPagesIn) distinct, \(t.rereadPages) re-read), \(t.pagesOut) out, "
                + "in \(t.reads) reads of \(Int(t.averageReadBytes)) B on average, "
                + String(format: "%.0f %% sequential, %.0f ms", t.sequentialFraction * 100, t.durationMs)
        ]
        if t.lostEvents > 0 { lines.append("  \(t.lostEvents) events lost: the counts are low") }
        for tensor in t.byTensor.sorted(by: { $0.pagesIn > $1.pagesIn }).prefix(12) {
            lines.append(
                "  \(tensor.name): \(tensor.pagesIn) of \(tensor.filePages) pages, \(tensor.rereadPages) re-read, "
                    + String(format: "first at %.0f ms", tensor.firstMs))
        }
        return lines.joined(separator: "\n")
    }

    static func residencyTable(_ r: FileResidency) -> String {
        var lines = [
            "\(r.path): \(String(format: "%.1f", r.residentFraction * 100))% resident "
                + "(\(r.residentPages)/\(r.totalPages) pages of \(r.pageSize) bytes)",
            "[\(r.bitmap)]",
        ]
        for layer in r.layers ?? [] {
            lines.append(
                String(
                    format: "  %-16@ %10.1f MiB  %5.1f%%", layer.name as NSString, Double(layer.bytes) / 1_048_576,
                    layer.residentFraction * 100))
        }
        return lines.joined(separator: "\n")
    }
}

/// The live table of `inferlab probe` on a terminal.
enum ProbeTable {
    static let header = String(
        format: "%9@ %6@ %9@ %8@ %8@ %8@ %4@ %8@ %8@ %7@ %6@", "elapsed_s", "cpu", "rss_MiB", "majflt/s", "ctxsw/s",
        "rqwait", "thr", "thrtl/s", "psi_mem", "disk_MB", "file%")

    static func row(_ s: ProbeSample) -> String {
        func f(_ v: Double?, _ digits: Int = 1) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        let cells: [String] = [
            f(s.elapsedMs / 1000, 2), f(s.cpuCores, 2), f(s.rssBytes.map { Double($0) / 1_048_576 }),
            f(s.majfltPerS, 0), f(s.ctxswPerS, 0), f(s.runqueueWaitMsPerS), s.numThreads.map(String.init) ?? "-",
            f(s.cgThrottledUsecPerS, 0), f(s.psiMemorySomeUsPerS, 0), f(s.diskReadMbPerS),
            f(s.fileResidentFraction.map { $0 * 100 }),
        ]
        var line = zip(cells, [9, 6, 9, 8, 8, 8, 4, 8, 8, 7, 6]).map {
            String(repeating: " ", count: max(0, $0.1 - $0.0.count)) + $0.0
        }.joined(separator: " ")
        if s.event == "exit" {
            line +=
                "  exited" + (s.exitStatus.map { " status \($0)" } ?? "") + (s.exitSignal.map { " signal \($0)" } ?? "")
        }
        return line
    }
}
