import Analysis
import Constraints
import ExperimentFile
import Foundation
import InferLabCore
import Profiling
import RunStore

/// `probe: {profile: ...}` for one trial: perf's on-CPU samples of the engine and the scheduler
/// trace of its threads, from when the engine is healthy to the end of the load. What it finds is
/// written beside the run (`profile-trial-N/`: stacks.folded, flamegraph.svg, sched.json) and
/// stored (`trial_profiles`); what could not run is a control outcome with the reason.
struct TrialProfiler {
    let trial: Int
    let pid: Int32
    let spec: ProfileSpec
    let directory: URL
    private let recording: PerfRecording?
    private let sched: SchedCapture?
    /// Why perf or the trace could not start.
    private(set) var outcomes: [String: ControlOutcome] = [:]
    private let perfFailure: String?
    private let schedFailure: String?

    /// Starts both on `pid`, returning once perf samples; each failure is kept, never thrown (the
    /// trial still runs).
    init(trial: Int, pid: Int32, spec: ProfileSpec, runDirectory: URL) async {
        self.trial = trial
        self.pid = pid
        self.spec = spec
        directory = runDirectory.appendingPathComponent("profile-trial-\(trial)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var schedFailure: String?
        if spec.sched {
            do {
                sched = try SchedCapture.start(pid: pid)
            } catch {
                sched = nil
                schedFailure = error.message
            }
        } else {
            sched = nil
        }
        var perfFailure: String?
        do {
            recording = try await PerfRecording.start(
                pid: pid, hertz: spec.hz, callGraph: spec.callGraph == .dwarf ? .dwarf : .framePointers,
                directory: directory)
        } catch {
            recording = nil
            perfFailure = error.message
        }
        self.perfFailure = perfFailure
        self.schedFailure = schedFailure
        outcomes["profile"] =
            perfFailure.map { .notApplied($0) }
            ?? .applied("perf record -e cpu-clock at \(spec.hz) Hz, \(spec.callGraph.rawValue) call graphs")
        if spec.sched {
            outcomes["sched_trace"] =
                schedFailure.map { .notApplied($0) } ?? .applied("tracefs sched_switch, sched_wakeup")
        }
    }

    /// Stops both, analyses the trace with the engine's steps (from its step log, when it writes
    /// one), writes the files and returns the record to store.
    func finish(stepLog: URL?) async -> ProfileRecord {
        let steps = TrialExecutor.steps(stepLog).map { $0.start..<$0.end }
        let report = sched?.finish(steps: steps)
        var folded = FoldedStacks()
        var failure = perfFailure
        if let recording {
            do {
                folded = try await recording.profile().folded
            } catch {
                failure = error.message
            }
            // perf.data with DWARF stacks grows by megabytes a second: the folded stacks are kept.
            try? FileManager.default.removeItem(at: recording.data)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let schedReport =
            report ?? (spec.sched ? SchedReport(pid: pid, applied: false, reason: schedFailure ?? "not started") : nil)
        let schedText = schedReport.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        if let schedText {
            try? schedText.write(to: directory.appendingPathComponent("sched.json"), atomically: true, encoding: .utf8)
        }
        if folded.total > 0 {
            try? folded.text.write(
                to: directory.appendingPathComponent("stacks.folded"), atomically: true, encoding: .utf8)
            try? FlameGraph.svg(folded, title: "trial \(trial): on-CPU, \(spec.hz) Hz").write(
                to: directory.appendingPathComponent("flamegraph.svg"), atomically: true, encoding: .utf8)
        }
        return ProfileRecord(
            trialIndex: trial, hz: spec.hz, callGraph: spec.callGraph.rawValue, samples: folded.total,
            folded: folded.text, sched: schedText, failure: failure)
    }

    /// Stops both without analysing (the trial failed or was cancelled).
    func cancel() async {
        sched?.cancel()
        if let recording { try? await recording.stop() }
    }
}
