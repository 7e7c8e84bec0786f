import Analysis
import InferLabCore
import ExperimentFile
import Reporting
import RunStore
import SystemProbe
import Testing

@testable import Experiments

/// The report's table of the OS side per level, from probe samples.
@Suite struct SystemTableTests {
    static func trial(level: Int, label: String, status: TrialStatus = .ok, samples: [ProbeSample]) -> RunData.TrialRow
    {
        var row = RunData.TrialRow(index: level, level: level, repetition: 1, label: label, status: status)
        row.samples = samples
        return row
    }

    /// A probe sample at `seconds` with the fields `set` gives it.
    static func sample(_ seconds: Double, _ set: (inout ProbeSample) -> Void = { _ in }) -> ProbeSample {
        var sample = ProbeSample(time: .zero + .seconds(seconds), elapsedMs: seconds * 1000)
        set(&sample)
        return sample
    }

    @Test func eachLevelGetsItsPeakRSSFaultsRatesAndResidency() throws {
        let mib: UInt64 = 1_048_576
        let free = Self.trial(
            level: 0, label: "none",
            samples: [
                Self.sample(0) {
                    $0.rssBytes = 100 * mib; $0.majflt = 5; $0.cpuCores = 1; $0.fileResidentFraction = 1
                    $0.cgThrottledUsec = 10
                },
                Self.sample(0.1) {
                    $0.majflt = 5; $0.cpuCores = 2
                },  // between slow readings: no RSS
                Self.sample(0.2) {
                    $0.rssBytes = 120 * mib; $0.majflt = 7; $0.cpuCores = 1.5; $0.fileResidentFraction = 0.9
                    $0.cgThrottledUsec = 10
                },
            ])
        let limited = Self.trial(
            level: 1, label: "memory_max=128M",
            samples: [
                Self.sample(0) {
                    $0.rssBytes = 90 * mib; $0.majflt = 10; $0.cpuCores = 0.5; $0.cgThrottledUsec = 0
                },
                Self.sample(0.1) {
                    $0.rssBytes = 95 * mib; $0.majflt = 410; $0.cpuCores = 0.5; $0.cgThrottledUsec = 2_500_000
                },
            ])
        let failed = Self.trial(
            level: 1, label: "memory_max=128M", status: .failed, samples: [Self.sample(0) { $0.rssBytes = 1 << 40 }])
        let table = try #require(RunReport.systemTable(byLevel: [(0, [free]), (1, [limited, failed])]))
        #expect(table.columns.first == "level")
        func column(_ name: String) throws -> [String] {
            let index = try #require(table.columns.firstIndex(of: name), "no column \(name)")
            return table.rows.map { $0[index] }
        }
        #expect(table.rows.map { $0[0] } == ["none", "memory_max=128M"])
        #expect(try column("peak RSS (MiB)") == ["120", "95"])  // the failed trial's samples are not counted
        #expect(try column("major faults") == ["2", "400"])
        #expect(try column("CPU cores") == ["1.5", "0.5"])
        #expect(try column("CPU throttled (s)") == ["0", "2.5"])
        #expect(try column("model resident (min %)") == ["90", "–"])
        // No level has disk or pressure samples: those columns are left out.
        #expect(!table.columns.contains("disk read (MB/s)"))
        #expect(!table.columns.contains("PSI cpu some (% of time)"))
    }

    @Test func otherProgramsCPUIsTheMachinesUserCPULessTheEngines() throws {
        // 2 CPUs, 1 s between slow readings: the machine spent 95 % of its time in user mode
        // (1.9 cores) while the engine's utime grew by 1.8 s per s: others used 0.1 cores. The
        // samples between slow readings (no machine figure) do not count.
        func sample(_ second: Double, _ userFraction: Double?, utime: Double) -> ProbeSample {
            Self.sample(second) {
                $0.utimeMs = utime
                $0.sysCpuUserFraction = userFraction
            }
        }
        var trial = Self.trial(level: 0, label: "x", samples: [])
        trial.samples = [
            sample(0, 0.5, utime: 0), sample(0.5, nil, utime: 900), sample(1, 0.95, utime: 1800),
            sample(2, 0.95, utime: 3600), sample(3, 0.95, utime: 5400),
        ]
        trial.onlineCPUs = 2
        #expect(abs(try #require(trial.value(.otherCPUCores)) - 0.1) < 1e-9)
        // Rounding never gives negative CPU; too few readings give none.
        trial.onlineCPUs = 1
        #expect(trial.value(.otherCPUCores) == 0)
        trial.onlineCPUs = 2
        trial.samples = Array(trial.samples.prefix(2))
        #expect(trial.value(.otherCPUCores) == nil)
        // As a control it is negligible below a tenth of a core.
        var before = Self.trial(level: 0, label: "none", samples: [])
        before.samples = [sample(0, 0.9, utime: 0), sample(1, 0.9, utime: 1780), sample(2, 0.9, utime: 3560)]
        var after = Self.trial(level: 1, label: "128M", samples: [])
        after.samples = [sample(0, 0.7, utime: 0), sample(1, 0.7, utime: 1340), sample(2, 0.7, utime: 2680)]
        let change = try #require(RunReport.change("system.other_cpu_cores", [before], [after]))
        #expect(abs(change.before - 0.02) < 1e-9 && abs(change.after - 0.06) < 1e-9)
        #expect(change.isNegligible)
        // A stressor busy on one core is not.
        after.samples = [sample(0, 0.7, utime: 0), sample(1, 0.7, utime: 400), sample(2, 0.7, utime: 800)]
        #expect(try #require(RunReport.change("system.other_cpu_cores", [before], [after])).isNegligible == false)
    }

    @Test func aStallCounterIsComparedAsItsShareOfTheTrialsTime() throws {
        // 2 s trials: 0.2 s of I/O stall is 10 % of the time, 1 s is 50 %.
        let before = Self.trial(
            level: 0, label: "a",
            samples: [Self.sample(0) { $0.psiIoSomeTotalUs = 0 }, Self.sample(2) { $0.psiIoSomeTotalUs = 200_000 }])
        let after = Self.trial(
            level: 1, label: "b",
            samples: [Self.sample(0) { $0.psiIoSomeTotalUs = 0 }, Self.sample(2) { $0.psiIoSomeTotalUs = 1_000_000 }])
        let change = try #require(RunReport.change("psi.io.some_total", [before], [after]))
        #expect(change.name == "psi.io.some_total (share of time)" && change.unit == .percent)
        #expect(abs(change.before - 10) < 1e-9 && abs(change.after - 50) < 1e-9)
        // An unknown name is no metric at all (the spec refuses it before a run starts).
        #expect(RunReport.change("disk.read_bytes", [before], [after]) == nil)
    }

    @Test func aRunWithoutProbeSamplesHasNoSystemTable() {
        #expect(RunReport.systemTable(byLevel: [(0, [Self.trial(level: 0, label: "a", samples: [])])]) == nil)
    }
}

/// The study-specific answer of a scheduler sweep (quickstart, batching).
@Suite struct SchedulerFindingsTests {
    static func level(_ scheduler: String, concurrency: Int, ttft: Double, itl: Double, tokens: Double)
        -> LevelSummary
    {
        LevelSummary(
            label: "scheduler=\(scheduler) concurrency=\(concurrency)",
            settings: [KeyValue("scheduler", scheduler), KeyValue("concurrency", "\(concurrency)")], trials: 2,
            requests: 10, ttft: PercentileSummary.of([ttft]), itl: PercentileSummary.of([itl]), tokensPerSecond: tokens)
    }

    @Test func eachWorkloadNamesTheBestSchedulerForEachMetric() {
        let findings = RunReport.schedulerFindings([
            Self.level("single", concurrency: 8, ttft: 8860, itl: 14.3, tokens: 22.0),
            Self.level("continuous", concurrency: 8, ttft: 3654, itl: 2080, tokens: 20.4),
            Self.level("single", concurrency: 1, ttft: 279, itl: 15.9, tokens: 20.5),
            Self.level("continuous", concurrency: 1, ttft: 236, itl: 14.4, tokens: 22.9),
        ])
        #expect(findings.count == 2)
        #expect(
            findings.first
                == "Schedulers at concurrency=8: continuous the lowest TTFT p50 (3654 ms; single 8860); "
                + "single the lowest ITL p99 (14.3 ms; continuous 2080); "
                + "single the highest throughput (22 tok/s; continuous 20.4).")
        #expect(findings.last?.hasPrefix("Schedulers at concurrency=1: continuous the lowest TTFT p50") == true)
    }

    @Test func aRunWithOneSchedulerHasNoSchedulerFindings() {
        #expect(RunReport.schedulerFindings([Self.level("single", concurrency: 1, ttft: 1, itl: 1, tokens: 1)]).isEmpty)
        #expect(RunReport.schedulerFindings([]).isEmpty)
    }
}

/// The bounded-realtime criteria read the sweeps with the baseline as their first point.
@Suite struct BoundedRealtimeReportTests {
    @Test func theBaselineIsTheZeroLoadAndGreedyPoint() throws {
        func level(_ index: Int, _ settings: [Setting], itlP99: [Double]) -> [RunData.TrialRow] {
            itlP99.enumerated().map { repetition, p99 in
                var row = RunData.TrialRow(
                    index: index * 10 + repetition, level: index, repetition: repetition + 1, label: "l\(index)",
                    settings: settings)
                row.itl = [p99 / 2, p99]
                return row
            }
        }
        let byLevel: [(key: Int, value: [RunData.TrialRow])] = [
            (0, level(0, [], itlP99: [10, 10.2, 9.8])),
            (1, level(1, [Setting("background_load", "25")], itlP99: [12.5])),
            (2, level(2, [Setting("background_load", "50")], itlP99: [15])),
            (3, level(3, [Setting("background_load", "75")], itlP99: [17.5])),
            (4, level(4, [Setting("sampler", "top-k")], itlP99: [10, 10.1, 9.9])),
        ]
        let data = RunData(
            name: "b", specYAML: "", specJSON: "", provenance: [:], startedAt: "", finishedAt: nil, status: .complete,
            trials: byLevel.flatMap(\.value), events: [])
        let criteria = RunReport.criteria(data, byLevel: byLevel)
        let degradation = try #require(criteria.first { $0.requirement.contains("linear") })
        #expect(degradation.figure.contains("4 points"))
        #expect(degradation.passed)
        let samplers = try #require(criteria.first { $0.requirement.contains("samplers") })
        #expect(samplers.figure.contains("2 samplers"))
    }
}
