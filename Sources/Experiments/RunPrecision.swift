import Analysis
import ExperimentFile
import InferLabCore
import MetricCatalog

/// Repetitions by precision: each level's figure per repetition (`precision.metrics`), the CV of
/// each with its interval, and which levels need another round.
enum RunPrecision {
    /// A trial's one value of a precision figure: a distribution's statistic over the trial
    /// (`itl.p99`: the p99 of its token gaps), a per-trial figure, or an OS metric's trial value.
    static func value(_ name: String, _ trial: RunData.TrialRow) -> Double? {
        if let (metric, statistic) = MetricCatalog.appMetric(name) {
            guard let statistic else { return trial.value(metric) }
            return statistic.compute(trial.values(metric))
        }
        return MetricCatalog.osMetric(name).flatMap { trial.value($0) }
    }

    /// Per level: each figure's values over the level's successful trials.
    static func figures(_ data: RunData, metrics: [String]) -> [Int: [[Double]]] {
        let byLevel = Dictionary(grouping: data.trials.filter(\.succeeded), by: \.level)
        return byLevel.mapValues { trials in metrics.map { name in trials.compactMap { value(name, $0) } } }
    }

    /// The levels that need another repetition: fewer than the cap (counting every trial of the
    /// level, failed ones too, so a level that keeps failing stops) and an interval still too wide.
    static func levelsNeedingMore(_ data: RunData, _ precision: PrecisionSpec, levels: Int) -> [Int] {
        let figures = figures(data, metrics: precision.metrics)
        let attempts = Dictionary(grouping: data.trials, by: \.level).mapValues(\.count)
        return (0..<levels).filter { level in
            guard (attempts[level] ?? 0) < precision.maxRepetitions else { return false }
            let values = figures[level] ?? precision.metrics.map { _ in [] }
            return CVInterval.needsMore(values, width: precision.width, cap: Int.max, level: precision.level)
        }
    }
}
