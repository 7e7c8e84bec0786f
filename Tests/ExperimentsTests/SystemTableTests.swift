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

    @Test func otherProcessesCPUIsTheMachinesBusyCoresLessTheEngines() throws {
        let samples = RunData.TrialRow.addingOtherCPU(
            [
                ["sys_cpu_busy_fraction": 1.0, "cpu_cores": 1.95],
                ["cpu_cores": 1.9],  // between slow readings: no machine figure
                ["sys_cpu_busy_fraction": 0.75, "cpu_cores": 1.40],
                ["sys_cpu_busy_fraction": 0.5, "cpu_cores": 1.2],  // rounding: never below 0
            ], cpus: 2)
        let other = samples.map { $0["sys_other_cpu_cores"] }
        #expect(abs(try #require(other[0]) - 0.05) < 1e-9)
        #expect(other[1] == nil)
        #expect(abs(try #require(other[2]) - 0.10) < 1e-9)
        #expect(other[3] == 0)
        // As a control it is a mean over the trial, negligible below a tenth of a core.
        var before = Self.trial(level: 0, label: "none", samples: [])
        before.samples = [["sys_other_cpu_cores": 0.04], ["sys_other_cpu_cores": 0.06]]
        var after = Self.trial(level: 1, label: "128M", samples: [])
        after.samples = [["sys_other_cpu_cores": 0.07]]
        let change = try #require(RunReport.change("system.other_cpu_cores", [before], [after]))
        #expect(abs(change.before - 0.05) < 1e-9 && abs(change.after - 0.07) < 1e-9)
        #expect(change.isNegligible)
        after.samples = [["sys_other_cpu_cores": 0.9]]  // a stressor on one core
        #expect(try #require(RunReport.change("system.other_cpu_cores", [before], [after])).isNegligible == false)
    }

    @Test func aRunWithoutProbeSamplesHasNoSystemTable() {
        #expect(RunReport.systemTable(byLevel: [(0, [Self.trial(level: 0, label: "a", samples: [])])]) == nil)
    }
}
