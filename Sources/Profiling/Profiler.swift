import Constraints
public import Foundation
public import InferLabCore

/// Why a profile could not be taken.
public struct ProfileError: InferLabError {
    public enum Code: String, Sendable, CustomStringConvertible {
        /// `perf` is missing or refused (`perf_event_paranoid`, no permission).
        case perfUnavailable = "perf_unavailable"
        /// The process to profile does not exist.
        case noSuchProcess = "no_such_process"
        /// perf ran and recorded nothing.
        case noSamples = "no_samples"
        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?
    public var isUsageError: Bool { code == .noSuchProcess }

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}

/// What `inferlab profile` measured: the on-CPU samples of a process, folded.
public struct Profile: Sendable {
    public var samples: [PerfSample]
    public var folded: FoldedStacks

    public init(samples: [PerfSample]) {
        self.samples = samples
        folded = FoldedStacks(samples)
    }

    /// A profile read back from its folded stacks (the samples themselves are not kept).
    public init(folded: FoldedStacks) {
        samples = []
        self.folded = folded
    }

    /// The leaf functions with their share, operation and samples, most first.
    public struct Function: Sendable, Codable, Equatable {
        public var function: String
        public var operation: String
        public var samples: Int
        public var share: Double
    }

    public func functions(limit: Int = 30) -> [Function] {
        let total = Double(max(1, folded.total))
        return folded.leaves.prefix(limit).map {
            Function(
                function: $0.function, operation: GGMLOperation.of($0.function), samples: $0.samples,
                share: Double($0.samples) / total)
        }
    }

    /// Samples per ggml operation, most first.
    public var operations: [(operation: String, samples: Int)] {
        var byOperation: [String: Int] = [:]
        for leaf in folded.leaves { byOperation[GGMLOperation.of(leaf.function), default: 0] += leaf.samples }
        return byOperation.map { ($0.key, $0.value) }.sorted { $0.samples > $1.samples }
    }
}

/// How perf walks a sample's call chain.
public enum CallGraph: String, Sendable, Codable, CaseIterable {
    /// Frame pointers: cheap, but a chain stops at the first function built without them.
    case framePointers = "fp"
    /// DWARF unwinding of a copy of the stack taken with each sample (perf unwinds it later).
    case dwarf

    var perfArgument: String {
        switch self {
        case .framePointers: "fp"
        case .dwarf: "dwarf,16384"
        }
    }
}

/// `perf record -e cpu-clock -g` (the software clock: this VM has no PMU) attached to a process,
/// running until `stop()`. perf is a child that dies with this process (`GatedChild`: forked from
/// InferLab's spawn thread with an empty signal mask, so it sees its signals, and killed when
/// InferLab is).
public final class PerfRecording: Sendable {
    public let pid: Int32
    public let data: URL
    private let child: GatedChild
    private let errorLog: URL

    private init(pid: Int32, data: URL, child: GatedChild, errorLog: URL) {
        self.pid = pid
        self.data = data
        self.child = child
        self.errorLog = errorLog
    }

    /// Starts sampling `pid` at `hertz` per CPU into `directory/perf.data`, returning once perf
    /// samples: it starts with its events disabled (`-D -1`) and enables them through its control
    /// FIFO, whose acknowledgement comes only after its set-up (on a loaded machine, synthesising
    /// every process's maps for `-a` took longer than a short trial, which then had no samples).
    public static func start(
        pid: Int32, hertz: Int, callGraph: CallGraph = .framePointers, directory: URL,
        readyWithin: Duration = .seconds(30)
    ) async throws(ProfileError) -> PerfRecording {
        guard kill(pid, 0) == 0 || errno == EPERM else {
            throw ProfileError(.noSuchProcess, "no process \(pid) to profile")
        }
        let data = directory.appendingPathComponent("perf.data")
        let errorLog = directory.appendingPathComponent("perf-stderr.log")
        // System-wide (one event per CPU, the samples of other processes dropped by `perf script
        // --pid`) rather than per thread (`-p`): per-thread events are switched with their thread,
        // and on a server whose threads switch thousands of times a second that cost the engine 2-3x
        // its tokens/s here (measured), against nothing measurable for per-CPU events. `-p` is
        // the fallback without root.
        let target = getuid() == 0 ? ["-a"] : ["-p", "\(pid)"]
        let control = try PerfControl(directory: directory)
        defer { control.close() }
        let command =
            ["perf", "record", "-q", "-e", "cpu-clock", "-F", "\(hertz)", "--call-graph", callGraph.perfArgument]
            + target + ["-D", "-1", "--control", "fifo:\(control.commands.path),\(control.acks.path)", "-o", data.path]
        let child: GatedChild
        do {
            child = try GatedChild.spawn(["sh", "-c", "exec \"$@\" 2>\"$0\"", errorLog.path] + command)
        } catch {
            throw ProfileError(.perfUnavailable, "cannot start perf", cause: error)
        }
        child.release()
        let recording = PerfRecording(pid: pid, data: data, child: child, errorLog: errorLog)
        control.send("enable")
        let deadline = MonotonicInstant.now() + readyWithin
        while !control.acknowledged() {
            if child.hasExited {
                let message = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
                throw ProfileError(
                    .perfUnavailable,
                    "perf record exited at start: \(message.suffix(300)); install linux-perf (scripts/bootstrap "
                        + "does) and run as root or lower /proc/sys/kernel/perf_event_paranoid")
            }
            guard MonotonicInstant.now() < deadline else {
                try? await recording.stop()
                throw ProfileError(.perfUnavailable, "perf record did not start sampling within \(readyWithin)")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return recording
    }

    /// Whether perf has ended on its own (it failed; attached per thread, the process it watched
    /// exited) or the process it profiles has.
    public var hasExited: Bool { child.hasExited || (kill(pid, 0) != 0 && errno == ESRCH) }

    /// Stops perf (SIGINT: it writes its file and exits) and waits for it.
    public func stop() async throws(ProfileError) {
        kill(child.pid, SIGINT)
        let status = await child.wait()
        let exitCode = (status >> 8) & 0xff
        let signalled = status & 0x7f
        // perf exits 0, or with the SIGINT it was sent, on a clean stop.
        guard (signalled == 0 && exitCode == 0) || signalled == SIGINT else {
            let message = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw ProfileError(
                .perfUnavailable,
                "perf record failed (status \(status)): \(message.suffix(300)); install linux-perf "
                    + "(scripts/bootstrap does) and run as root or lower /proc/sys/kernel/perf_event_paranoid")
        }
    }

    /// Stops perf and folds what it recorded; `noSamples` when it saw the process on no CPU.
    public func profile() async throws(ProfileError) -> Profile {
        try await stop()
        let samples = try await samples()
        guard !samples.isEmpty else {
            throw ProfileError(.noSamples, "perf recorded no samples of process \(pid): was it running on a CPU?")
        }
        return Profile(samples: samples)
    }

    /// The samples perf wrote (`perf script`, parsed).
    public func samples() async throws(ProfileError) -> [PerfSample] {
        let script = data.deletingLastPathComponent().appendingPathComponent("perf-script.txt")
        let command = [
            "sh", "-c",
            "exec perf script -i \"$0\" --pid \"$3\" -F comm,tid,time,period,ip,sym,dso >\"$1\" 2>\"$2\"",
            data.path, script.path, errorLog.path, "\(pid)",
        ]
        let status: Int32
        do {
            let child = try GatedChild.spawn(command)
            child.release()
            status = await child.wait()
        } catch {
            throw ProfileError(.perfUnavailable, "cannot start perf script", cause: error)
        }
        guard status == 0, let text = try? String(contentsOf: script, encoding: .utf8) else {
            let message = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw ProfileError(.perfUnavailable, "perf script failed (status \(status)): \(message.suffix(300))")
        }
        try? FileManager.default.removeItem(at: script)
        return PerfScript.parse(text)
    }
}

/// perf record's control FIFOs (`--control fifo:CTL,ACK`): commands in, acknowledgements out.
/// Both are opened read-write, which on Linux never blocks, so neither side waits for the other
/// to open its end.
private struct PerfControl {
    let commands: URL
    let acks: URL
    private let commandFD: Int32
    private let ackFD: Int32

    init(directory: URL) throws(ProfileError) {
        commands = directory.appendingPathComponent("perf-control.fifo")
        acks = directory.appendingPathComponent("perf-ack.fifo")
        for fifo in [commands, acks] {
            unlink(fifo.path)
            guard mkfifo(fifo.path, 0o600) == 0 else {
                throw ProfileError(.perfUnavailable, "cannot make \(fifo.path): \(String(cString: strerror(errno)))")
            }
        }
        commandFD = open(commands.path, O_RDWR | O_NONBLOCK)
        ackFD = open(acks.path, O_RDWR | O_NONBLOCK)
        guard commandFD >= 0, ackFD >= 0 else {
            throw ProfileError(
                .perfUnavailable, "cannot open perf's control FIFOs: \(String(cString: strerror(errno)))")
        }
    }

    func send(_ command: String) {
        let line = Array((command + "\n").utf8)
        _ = line.withUnsafeBytes { write(commandFD, $0.baseAddress, $0.count) }
    }

    /// Whether perf has written its "ack" (a non-blocking read).
    func acknowledged() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(ackFD, $0.baseAddress, $0.count) }
        return count > 0 && String(decoding: buffer.prefix(count), as: UTF8.self).contains("ack")
    }

    func close() {
        _ = Glibc.close(commandFD)
        _ = Glibc.close(ackFD)
        unlink(commands.path)
        unlink(acks.path)
    }
}

/// Runs Linux `perf` on a process for a while and folds what it saw.
public enum Profiler {
    /// Profiles `pid` for `duration` at `hertz` samples per second per CPU, keeping perf's files
    /// in `directory`.
    public static func record(
        pid: Int32, duration: Duration, hertz: Int, callGraph: CallGraph = .framePointers, directory: URL
    ) async throws(ProfileError) -> Profile {
        let recording = try await PerfRecording.start(
            pid: pid, hertz: hertz, callGraph: callGraph, directory: directory)
        let deadline = MonotonicInstant.now() + duration
        while MonotonicInstant.now() < deadline && !recording.hasExited && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await recording.profile()
    }
}
