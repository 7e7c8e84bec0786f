import Analysis
import Reporting
import Testing

@testable import Experiments

/// The report's table of the OS side per level, from probe samples.
@Suite struct SystemTableTests {
    static func trial(
        level: Int, label: String, status: String = "ok", throttled: Double? = nil, samples: [[String: Double]]
    ) -> RunData.TrialRow {
        var row = RunData.TrialRow(
            index: level, level: level, repetition: 1, label: label, settings: [], status: status, failure: nil,
            benchRunId: nil, startedNs: 0, endedNs: 1_000_000_000, cgroupThrottledUsec: throttled,
            tokensPerSecond: nil)
        row.samples = samples
        return row
    }

    @Test func eachLevelGetsItsPeakRSSFaultsRatesAndResidency() throws {
        let mib = 1_048_576.0
        let free = Self.trial(
            level: 0, label: "none", throttled: 0,
            samples: [
                ["t_ns": 0, "rss_bytes": 100 * mib, "majflt": 5, "cpu_cores": 1.0, "file_resident_fraction": 1],
                ["t_ns": 1e8, "majflt": 5, "cpu_cores": 2.0],  // between slow readings: no RSS
                ["t_ns": 2e8, "rss_bytes": 120 * mib, "majflt": 7, "cpu_cores": 1.5, "file_resident_fraction": 0.9],
            ])
        let limited = Self.trial(
            level: 1, label: "memory_max=128M", throttled: 2_500_000,
            samples: [
                ["t_ns": 0, "rss_bytes": 90 * mib, "majflt": 10, "cpu_cores": 0.5],
                ["t_ns": 1e8, "rss_bytes": 95 * mib, "majflt": 410, "cpu_cores": 0.5],
            ])
        let failed = Self.trial(level: 1, label: "memory_max=128M", status: "failed", samples: [["rss_bytes": 1e12]])
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
        func sample(_ second: Double, _ userFraction: Double?, utime: Double) -> [String: Double] {
            var s = ["t_ns": second * 1e9, "utime_ms": utime]
            s["sys_cpu_user_fraction"] = userFraction
            return s
        }
        var trial = Self.trial(level: 0, label: "x", samples: [])
        trial.samples = [
            sample(0, 0.5, utime: 0), sample(0.5, nil, utime: 900), sample(1, 0.95, utime: 1800),
            sample(2, 0.95, utime: 3600), sample(3, 0.95, utime: 5400),
        ]
        trial.onlineCPUs = 2
        #expect(abs(try #require(trial.otherCPUCores(cpus: 2)) - 0.1) < 1e-9)
        #expect(abs(try #require(trial.mechanism("system.other_cpu_cores")) - 0.1) < 1e-9)
        // Rounding never gives negative CPU; too few readings give none.
        #expect(trial.otherCPUCores(cpus: 1) == 0)
        trial.samples = Array(trial.samples.prefix(2))
        #expect(trial.otherCPUCores(cpus: 2) == nil)
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
            requests: 10, ttft: SampleSummary.of([ttft]), itl: SampleSummary.of([itl]), tokensPerSecond: tokens)
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
        func level(_ index: Int, _ settings: [(String, String)], itlP99: [Double]) -> [RunData.TrialRow] {
            itlP99.enumerated().map { repetition, p99 in
                var row = RunData.TrialRow(
                    index: index * 10 + repetition, level: index, repetition: repetition + 1, label: "l\(index)",
                    settings: settings, status: "ok", failure: nil, benchRunId: nil, startedNs: 0, endedNs: 1)
                row.itl = [p99 / 2, p99]
                return row
            }
        }
        let byLevel: [(key: Int, value: [RunData.TrialRow])] = [
            (0, level(0, [], itlP99: [10, 10.2, 9.8])),
            (1, level(1, [("background_load", "25")], itlP99: [12.5])),
            (2, level(2, [("background_load", "50")], itlP99: [15])),
            (3, level(3, [("background_load", "75")], itlP99: [17.5])),
            (4, level(4, [("sampler", "top-k")], itlP99: [10, 10.1, 9.9])),
        ]
        let data = RunData(
            name: "b", specYAML: "", specJSON: "", provenance: [:], startedAt: "", finishedAt: nil, status: "complete",
            trials: byLevel.flatMap(\.value), events: [])
        let criteria = RunReport.criteria(data, byLevel: byLevel)
        let degradation = try #require(criteria.first { $0.requirement.contains("linear") })
        #expect(degradation.figure.contains("4 points"))
        #expect(degradation.passed)
        let samplers = try #require(criteria.first { $0.requirement.contains("samplers") })
        #expect(samplers.figure.contains("2 samplers"))
    }
}
