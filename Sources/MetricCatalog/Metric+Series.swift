public import InferLabCore
public import InferenceCore
public import SystemProbe

extension Metric {
    /// One value at one instant.
    public typealias Point = (time: MonotonicInstant, value: Double)

    /// The series of a probe reading over `samples` (samples without the field skipped); empty
    /// for other readings.
    public func series(_ samples: [ProbeSample]) -> [Point] {
        guard case .probe(let read) = reading else { return [] }
        return samples.compactMap { sample in read(sample).map { (sample.time, $0) } }
    }

    /// The series of a thread reading, per thread id; empty for other readings.
    public func threadSeries(_ samples: [ProbeSample]) -> [Int32: [Point]] {
        guard case .thread(let read) = reading else { return [:] }
        var series: [Int32: [Point]] = [:]
        for sample in samples {
            for thread in sample.threads ?? [] {
                if let value = read(thread) { series[thread.tid, default: []].append((sample.time, value)) }
            }
        }
        return series
    }

    /// The series of a step reading over the engine's step log (at each step's start); empty for
    /// other readings.
    public func series(_ steps: [StepRecord]) -> [Point] {
        guard case .step(let read) = reading else { return [] }
        return steps.compactMap { step in read(step).map { (step.start, $0) } }
    }

    /// One trial's value from its probe samples: a probe reading's series through `aggregate`, or
    /// a trial measure derived from the samples (`system.other_cpu_cores`); `nil` for other readings.
    public func trialValue(_ samples: [ProbeSample], onlineCPUs: Double) -> Double? {
        switch reading {
        case .probe: aggregate.apply(series(samples))
        case .trial(.otherCPUCores): TrialMeasure.otherCPUCores(in: samples, onlineCPUs: onlineCPUs)
        default: nil
        }
    }
}

extension Metric.TrialMeasure {
    /// The CPU other programs used during a trial, in cores: the machine's user-mode CPU (the mean
    /// of `sys_cpu_user_fraction` times the CPU count) less the engine's own (`utime_ms` over the
    /// same span). It is the control for "another program took the CPU". Kernel work is left out
    /// on purpose: reclaim and I/O done for the engine's cgroup are the paging mechanism, not an
    /// alternative to it; and PSI `cpu.some` is no such control either, since it counts the
    /// engine's own runnable threads. `nil` with fewer than three samples carrying both fields.
    public static func otherCPUCores(in samples: [ProbeSample], onlineCPUs: Double) -> Double? {
        let slow = samples.filter { $0.sysCpuUserFraction != nil && $0.utimeMs != nil }
        guard slow.count >= 3, let first = slow.first, let last = slow.last, last.time > first.time else { return nil }
        // The first sample's fraction covers the time before the span.
        let fractions = slow.dropFirst().compactMap(\.sysCpuUserFraction)
        let spanMilliseconds = (last.time - first.time).milliseconds
        let userFraction = fractions.reduce(0, +) / Double(fractions.count)
        let engine = (last.utimeMs! - first.utimeMs!) / spanMilliseconds
        return max(0, userFraction * onlineCPUs - engine)
    }
}
