import ExperimentFile
import Foundation
import InferLabCore
import InferenceCore
import MetricCatalog
import RunStore
import SystemProbe

/// A finished (or partial) run as read back from its results file: what the report is built
/// from, so the report's tables always match the data. Typed end to end (`RunStore`), and every
/// figure of a trial is read through the metric catalogue (`value(_:)`, `values(_:)`).
struct RunData: Sendable {
    struct TrialRow: Sendable {
        var index: Int
        var level: Int
        var repetition: Int
        var label: String
        var settings: [Setting] = []
        var status: TrialStatus = .ok
        var failure: String?
        /// The trial's start: the origin of its timelines.
        var started = MonotonicInstant.zero
        var tokensPerSecond: Double?
        /// Per-request metrics of the measured window (warm-up excluded by the bench).
        var ttft: [Double] = []
        var tpot: [Double] = []
        var e2e: [Double] = []
        var lag: [Double] = []
        var itl: [Double] = []
        /// (token position, gap in ms) of every inter-token gap, for latency vs position.
        var itlByPosition: [(Int, Double)] = []
        /// (seconds since the trial's start, E2E ms) of each successful request.
        var requestStarts: [(Double, Double)] = []
        var requests = 0
        /// The corpus id of the first measured request, and each prompt's TTFTs: a cold level's
        /// first request is compared with the same prompt in its warm twin.
        var firstPrompt: String?
        var ttftByPrompt: [String: [Double]] = [:]
        var errors: [String: Int] = [:]
        var samples: [ProbeSample] = []
        var steps: [StepRecord] = []
        /// The machine's online CPUs (from the run's provenance).
        var onlineCPUs: Double = 2
        /// The controls of the trial that did not take effect: name -> why.
        var notApplied: [String: String] = [:]

        var succeeded: Bool { status == .ok }

        /// The values of a distribution metric in this trial: one per request, per token gap or
        /// per engine step; empty for other metrics.
        func values(_ metric: Metric) -> [Double] {
            switch metric.reading {
            case .request(.ttft): ttft
            case .request(.tpot): tpot
            case .request(.e2e): e2e
            case .request(.lag): lag
            case .tokenGaps: itl
            case .step: metric.series(steps).map(\.value)
            default: []
            }
        }

        /// The trial's one value of a metric: an OS metric's series through its aggregate (counters
        /// as their change over the trial, gauges as their peak, rates as their mean), a per-trial
        /// measure, or the mean of a distribution.
        func value(_ metric: Metric) -> Double? {
            switch metric.reading {
            case .probe, .trial(.otherCPUCores): return metric.trialValue(samples, onlineCPUs: onlineCPUs)
            case .trial(.outputTokensPerSecond): return tokensPerSecond
            case .trial(.errors): return Double(errors.values.reduce(0, +))
            case .request, .tokenGaps, .step:
                let values = values(metric)
                return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            default: return nil
            }
        }
    }

    var name: String
    var specYAML: String
    var specJSON: String
    var provenance: [String: String]
    var startedAt: String
    var finishedAt: String?
    var status: RunStatus
    var trials: [TrialRow]
    var events: [RunEventRecord]

    static func load(_ path: String) throws -> RunData {
        let run = try RunStore(path: path).readRun()
        let cpus =
            run.experiment.provenance["cpus_online"].flatMap(Double.init)
            ?? Double(ProcessInfo.processInfo.activeProcessorCount)
        return RunData(
            name: run.experiment.name, specYAML: run.experiment.specYAML, specJSON: run.experiment.specJSON,
            provenance: run.experiment.provenance, startedAt: run.experiment.startedAt,
            finishedAt: run.experiment.finishedAt, status: run.experiment.status,
            trials: run.trials.map { TrialRow($0, onlineCPUs: cpus) }, events: run.events)
    }
}

extension RunData.TrialRow {
    /// A stored trial's figures.
    init(_ stored: StoredTrial, onlineCPUs: Double) {
        let record = stored.record
        self.init(
            index: record.index, level: record.level, repetition: record.repetition, label: record.label,
            settings: record.settings, status: record.status, failure: record.failure, started: record.started,
            tokensPerSecond: record.summary?.outputTokensPerS)
        self.onlineCPUs = onlineCPUs
        samples = stored.samples
        steps = stored.steps
        for outcome in stored.outcomes where !outcome.applied { notApplied[outcome.name] = outcome.reason }
        requests = stored.requests.count
        firstPrompt = stored.requests.first?.corpusId
        for request in stored.requests {
            lag.append(request.lagMs)
            if let error = request.errorClass {
                errors[error, default: 0] += 1
                continue
            }
            if let value = request.ttftMs {
                ttft.append(value)
                ttftByPrompt[request.corpusId, default: []].append(value)
            }
            if let value = request.tpotMs { tpot.append(value) }
            if let value = request.e2eMs {
                e2e.append(value)
                requestStarts.append(((request.sent - record.started).seconds, value))
            }
            let times = request.id.flatMap { stored.contentTimes[$0] } ?? []
            for (position, pair) in zip(times, times.dropFirst()).enumerated() {
                let gap = (pair.1 - pair.0).milliseconds
                itl.append(gap)
                itlByPosition.append((position + 1, gap))
            }
        }
    }

    /// The value of a setting of this level (`scheduler`, `background_load`), when swept.
    func setting(_ variable: String) -> String? { settings.first { $0.variable == variable }?.value }
}
