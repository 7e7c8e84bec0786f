public import Foundation
import Synchronization
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

/// Runs Linux `perf` on a process: `perf record -e cpu-clock -g` (the software clock: this VM
/// has no PMU) for a while, then `perf script`, and folds what it saw.
public enum Profiler {
    /// Profiles `pid` for `duration` at `hertz` samples per second per CPU, keeping perf's files
    /// in `directory`.
    public static func record(pid: Int32, duration: Duration, hertz: Int, directory: URL) throws(ProfileError)
        -> Profile
    {
        guard kill(pid, 0) == 0 || errno == EPERM else {
            throw ProfileError(.noSuchProcess, "no process \(pid) to profile")
        }
        let data = directory.appendingPathComponent("perf.data").path
        let seconds = String(format: "%.3f", max(0.05, duration.seconds))
        let recorded = run(
            ["record", "-e", "cpu-clock", "-F", "\(hertz)", "-g", "-p", "\(pid)", "-o", data, "--", "sleep", seconds],
            directory: directory)
        guard recorded.status == 0 else {
            throw ProfileError(
                .perfUnavailable,
                "perf record failed (exit \(recorded.status)): \(recorded.error.suffix(300)); install linux-perf "
                    + "(scripts/bootstrap does) and run as root or lower /proc/sys/kernel/perf_event_paranoid")
        }
        let script = run(["script", "-i", data, "-F", "comm,tid,time,period,ip,sym,dso"], directory: directory)
        guard script.status == 0 else {
            throw ProfileError(
                .perfUnavailable, "perf script failed (exit \(script.status)): \(script.error.suffix(300))")
        }
        let samples = PerfScript.parse(script.output)
        guard !samples.isEmpty else {
            throw ProfileError(.noSamples, "perf recorded no samples of process \(pid): was it running on a CPU?")
        }
        return Profile(samples: samples)
    }

    /// Runs perf; its standard error goes to a file beside its data (a pipe left unread could fill
    /// and block it while standard output is read).
    static func run(_ arguments: [String], directory: URL) -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["perf"] + arguments
        let output = Pipe()
        let errorFile = directory.appendingPathComponent("perf-stderr.log")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        guard let error = try? FileHandle(forWritingTo: errorFile) else {
            return (127, "", "cannot write \(errorFile.path)")
        }
        defer { try? error.close() }
        process.standardOutput = output
        process.standardError = error
        // A child inherits its spawning thread's signal mask, and Swift concurrency's threads block
        // nearly every signal: perf would never see its `sleep` end (SIGCHLD) and spin forever. So
        // spawn it from a thread of its own with an empty mask.
        let started = Mutex<(any Error)?>(nil)
        let spawned = DispatchSemaphore(value: 0)
        let spawner = Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try process.run() } catch { started.withLock { $0 = error } }
            spawned.signal()
        }
        spawner.start()
        spawned.wait()
        if let failure = started.withLock({ $0 }) { return (127, "", "\(failure)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), message)
    }
}
