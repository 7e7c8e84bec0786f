public import Analysis
import ExperimentFile
public import Foundation
public import InferLabCore
import InferenceCore
import LoadGen
public import RunStore
import SystemProbe

/// A stored run, read for `inferlab explain`: per trial, its requests as both sides recorded
/// them, its engine steps and the OS counters, joined on the one clock.
public struct RunExplanation: Sendable {
    public struct TrialPart: Sendable {
        public var index: Int
        public var label: String
        public var origin: MonotonicInstant
        public var explainer: Explainer
    }

    public var trials: [TrialPart]

    /// Reads `directory/results.sqlite`.
    public init(directory: URL) throws {
        let path = directory.appendingPathComponent("results.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError("\(directory.path) has no results.sqlite; pass a run directory printed by inferlab run")
        }
        self.init(try RunStore(path: path).readRun())
    }

    public init(_ run: StoredRun) {
        trials = run.trials.filter { !$0.requests.isEmpty }.map { trial in
            TrialPart(
                index: trial.record.index, label: trial.record.label, origin: trial.record.started,
                explainer: Self.explainer(trial))
        }
    }

    /// The explainer of one trial.
    static func explainer(_ trial: StoredTrial) -> Explainer {
        var os = Self.counters(trial.samples)
        let engine = trial.record.config.engine
        os.computeThreads = max(1, engine.server.engine.context.threads)
        os.throttledCPUs = min(os.computeThreads, ProcessInfo.processInfo.activeProcessorCount)
        return Explainer(requests: lives(trial), steps: trial.steps, os: os)
    }

    /// The trial's successful requests, with the server's instants where it sent them.
    static func lives(_ trial: StoredTrial) -> [RequestLife] {
        trial.requests.compactMap { row -> RequestLife? in
            guard row.errorClass == nil, let lastEvent = row.lastEventNs, let rowId = row.id else { return nil }
            let timings = row.serverTimings
            var server: ServerLife?
            if let timings, let arrival = timings.arrival, let admitted = timings.admitted,
                let prefillStart = timings.prefillStart, let firstToken = timings.firstToken,
                let lastToken = timings.lastToken
            {
                server = ServerLife(
                    arrival: arrival, admitted: admitted, prefillStart: prefillStart, firstToken: firstToken,
                    lastToken: lastToken)
            }
            return RequestLife(
                id: timings?.id ?? "request-\(rowId)", scheduled: row.scheduled, sent: row.sent,
                contentEvents: trial.contentTimes[rowId] ?? [], lastEvent: MonotonicInstant(column: lastEvent),
                server: server, serverPromptMilliseconds: timings?.promptMs,
                serverDecodeMilliseconds: timings?.predictedMs)
        }
    }

    /// The cumulative counters the explanation reads, from the probe's samples.
    static func counters(_ samples: [ProbeSample]) -> OSCounters {
        func series(_ read: (ProbeSample) -> UInt64?) -> OSCounters.Series {
            samples.compactMap { sample in read(sample).map { (sample.time, Double($0)) } }
        }
        var os = OSCounters()
        os.throttledMicroseconds = series(\.cgThrottledUsec)
        os.throttledPeriods = series(\.cgNrThrottled)
        os.runqueueWaitNanoseconds = series(\.runqueueWaitNs)
        os.majorFaults = series(\.majflt)
        os.readBytes = series(\.readBytes)
        // The engine's cgroup's own stall time where there is one (v2): the machine's counts
        // every other program's stalls too.
        let own = samples.contains { $0.cgPsiIoSomeTotalUs != nil && $0.cgPsiMemorySomeTotalUs != nil }
        os.ioPressureMicroseconds = own ? series(\.cgPsiIoSomeTotalUs) : series(\.psiIoSomeTotalUs)
        os.memoryPressureMicroseconds = own ? series(\.cgPsiMemorySomeTotalUs) : series(\.psiMemorySomeTotalUs)
        return os
    }

    /// Which requests to explain.
    public enum Selection: Sendable {
        case all
        case request(String)
        case slowest(Int)
    }

    /// The explanations of the selected requests, slowest first (over every trial, or one).
    public func explain(_ selection: Selection, trial: Int? = nil, tokens: Bool = false) -> [RequestExplanation] {
        let parts = trials.filter { trial == nil || $0.index == trial }
        var all: [RequestExplanation] = []
        for part in parts {
            for request in part.explainer.requests {
                if case .request(let id) = selection, request.id != id { continue }
                all.append(part.explainer.explain(request, trial: part.index, tokens: tokens))
            }
        }
        all.sort { $0.e2eMilliseconds > $1.e2eMilliseconds }
        if case .slowest(let count) = selection { return Array(all.prefix(count)) }
        return all
    }
}
