import Foundation
import InferLabCore
import Synchronization

/// Progress of a run, as the progress line shows it.
public struct BenchProgress: Sendable, Equatable {
    /// Requests finished in the current window.
    public var done: Int
    /// Requests the window will send, when known.
    public var total: Int?
    /// Failed requests so far.
    public var errors: Int
    /// Output tokens/s over the last second or so.
    public var tokensPerSecond: Double

    /// The one-line rendering, e.g. `bench: 12/100 done, 0 errors, 83.1 tok/s`.
    public var line: String {
        let count = total.map { "\(done)/\($0)" } ?? "\(done)"
        return "bench: \(count) done, \(errors) error\(errors == 1 ? "" : "s"), "
            + String(format: "%.1f tok/s", tokensPerSecond)
    }
}

/// Counts finished requests from many tasks and reports ``BenchProgress`` at most ~10 times a second.
final class ProgressTracker: Sendable {
    private struct State {
        var progress = BenchProgress(done: 0, total: nil, errors: 0, tokensPerSecond: 0)
        var lastReport = MonotonicInstant.zero
        var rateWindowStart = MonotonicInstant.zero
        var rateWindowTokens = 0
    }

    private let state = Mutex(State())
    private let report: (@Sendable (BenchProgress) -> Void)?

    init(report: (@Sendable (BenchProgress) -> Void)?) { self.report = report }

    func startWindow(total: Int?, now: MonotonicInstant) {
        state.withLock {
            $0.progress.done = 0
            $0.progress.total = total
            $0.rateWindowStart = now
            $0.rateWindowTokens = 0
        }
    }

    func finished(_ record: RequestRecord, now: MonotonicInstant) {
        guard let report else { return }
        let snapshot: BenchProgress? = state.withLock { s in
            s.progress.done += 1
            if record.failed { s.progress.errors += 1 }
            s.rateWindowTokens += record.succeeded ? record.outputTokens : 0
            let elapsed = (now - s.rateWindowStart).seconds
            if elapsed >= 1 {
                s.progress.tokensPerSecond = Double(s.rateWindowTokens) / elapsed
                s.rateWindowStart = now
                s.rateWindowTokens = 0
            }
            guard now - s.lastReport >= .milliseconds(100) || s.progress.done == s.progress.total else { return nil }
            s.lastReport = now
            return s.progress
        }
        if let snapshot { report(snapshot) }
    }
}

/// Writes the progress line to standard error when it is a terminal, and nothing otherwise.
public enum ProgressLine {
    /// A reporter for ``BenchRunner``, or nil when standard error is not a TTY.
    public static func terminalReporter() -> (@Sendable (BenchProgress) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { progress in
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(progress.line)".utf8))
        }
    }

    /// Ends the progress line (a newline) when standard error is a terminal.
    public static func finish() {
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
