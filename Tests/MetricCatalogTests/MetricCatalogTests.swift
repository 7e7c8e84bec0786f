import Foundation
import InferLabCore
import MetricCatalog
import Testing

@Suite struct MetricCatalogTests {
    @Test func namesAreUniqueAndWellFormed() {
        let names = MetricCatalog.all.map(\.name)
        #expect(
            Set(names).count == names.count,
            "duplicates: \(names.filter { name in names.filter { $0 == name }.count > 1 })")
        let statistics = Set(SummaryStatistic.allCases.map(\.rawValue))
        for metric in MetricCatalog.all {
            let segments = metric.name.split(separator: ".", omittingEmptySubsequences: false)
            let wellFormed = segments.allSatisfy { segment in
                !segment.isEmpty
                    && segment.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            }
            #expect(wellFormed, "\(metric.name) is not [a-z0-9_] segments joined by dots")
            // `ttft.p99` must parse one way only: no name is a distribution's name and a statistic.
            if let dot = metric.name.lastIndex(of: "."),
                statistics.contains(String(metric.name[metric.name.index(after: dot)...])),
                let base = MetricCatalog.named(String(metric.name[..<dot]))
            {
                #expect(base.kind != .distribution, "\(metric.name) reads as \(base.name) and a statistic")
            }
            #expect(!metric.label.isEmpty && !metric.help.isEmpty, "\(metric.name) needs a label and a description")
            #expect(MetricCatalog.named(metric.name) == metric)
        }
        #expect(MetricCatalog.named("vmstat.pgmajfault") == nil, "one name per metric: no vmstat. alias")
        #expect(MetricCatalog.named("token_latency") == nil, "one name per metric: itl only")
    }

    @Test func everySourceKindAndReadingIsUsed() {
        let all = MetricCatalog.all
        for source in Metric.Source.allCases { #expect(all.contains { $0.source == source }, "no \(source) metric") }
        for kind in Metric.Kind.allCases { #expect(all.contains { $0.kind == kind }, "no \(kind) metric") }
        for reading in Metric.Reading.Kind.allCases {
            #expect(all.contains { $0.reading.kind == reading }, "no \(reading) reading")
        }
        var requests: [Metric.RequestMeasure] = []
        var trials: [Metric.TrialMeasure] = []
        for metric in all {
            if case .request(let measure) = metric.reading { requests.append(measure) }
            if case .trial(let measure) = metric.reading { trials.append(measure) }
        }
        #expect(
            requests.sorted { $0.rawValue < $1.rawValue }
                == Metric.RequestMeasure.allCases.sorted { $0.rawValue < $1.rawValue })
        #expect(
            trials.sorted { $0.rawValue < $1.rawValue }
                == Metric.TrialMeasure.allCases.sorted { $0.rawValue < $1.rawValue })
    }

    @Test func expositionSeriesAreUniqueAndNamedThePrometheusWay() {
        let series = MetricCatalog.all.compactMap { metric in metric.reading.exposition.map { (metric, $0) } }
        #expect(series.count == 18, "the series ServerMetrics exposes")
        #expect(Set(series.map(\.1)).count == series.count)
        for (metric, name) in series {
            #expect(metric.source == .server)
            #expect(name.hasPrefix("inferlab_"))
            switch metric.kind {
            case .counter: #expect(name.hasSuffix("_total"), "\(name)")
            case .distribution: #expect(name.hasSuffix("_seconds") && metric.unit == .seconds, "\(name)")
            case .gauge: break  // inferlab_kv_cells_total is a gauge despite its suffix: the served name is kept
            case .rate: Issue.record("\(name): Prometheus has no rate series")
            }
        }
        #expect(Metric.serverTTFT.reading.exposition == "inferlab_ttft_seconds")
    }

    @Test(arguments: [
        ("ttft.p99", "ttft", SummaryStatistic.p99), ("itl.p50", "itl", .p50), ("tpot.p90", "tpot", .p90),
        ("e2e.p95", "e2e", .p95), ("e2e.max", "e2e", .max), ("ttft.mean", "ttft", .mean),
        ("lag.p99", "lag", .p99), ("timings.queue.p99", "timings.queue", .p99),
    ])
    func appMetricsWithAStatistic(text: String, name: String, statistic: SummaryStatistic) throws {
        let (metric, parsed) = try #require(MetricCatalog.appMetric(text))
        #expect(metric.name == name)
        #expect(parsed == statistic)
    }

    @Test func appMetricsWithoutAStatistic() throws {
        let (tokens, none) = try #require(MetricCatalog.appMetric("tokens_per_s"))
        #expect(tokens == .tokensPerSecond && none == nil)
        let (errors, alsoNone) = try #require(MetricCatalog.appMetric("errors"))
        #expect(errors == .errors && alsoNone == nil)
    }

    @Test(arguments: [
        "ttft",  // a distribution needs its statistic
        "ttft.p42", "ttft.", ".p99", "", "p99", "token_latency.p99", "tokens_per_s.p99", "errors.max",
        "process.majflt",  // an OS metric, not an app metric
        "engine.step_duration.p99", "server.ttft.p99", "ttft.p99.p99",
    ])
    func notAppMetrics(text: String) {
        #expect(MetricCatalog.appMetric(text) == nil, "\(text)")
    }

    @Test func osMetricsAreTheOperatingSystemSide() {
        for name in [
            "cgroup.cpu.throttled_usec", "psi.io.some_total", "process.majflt", "cgroup.memory.workingset_refault_file",
            "system.other_cpu_cores", "process.utime_ms", "process.read_bytes", "file.resident_fraction",
            "thread.cpu_cores", "disk.read_mb_per_s",
        ] {
            #expect(MetricCatalog.osMetric(name)?.name == name, "\(name)")
        }
        for name in [
            "ttft", "ttft.p99", "engine.running", "vmstat.pgmajfault", "disk.read_bytes", "cgroup.x", "gpu.util",
        ] {
            #expect(MetricCatalog.osMetric(name) == nil, "\(name)")
        }
    }

    @Test func aggregatesDefaultFromTheKindWithTheOverrides() {
        #expect(Metric.processMajorFaults.aggregate == .change)
        #expect(Metric.processRSS.aggregate == .max)
        #expect(Metric.processCPUCores.aggregate == .mean)
        #expect(Metric.engineStepDuration.aggregate == .mean)
        #expect(Metric.modelFileResidency.aggregate == .min)
        let stallTotals = MetricCatalog.all.filter { $0.source == .psi && $0.name.hasSuffix("_total") }
        #expect(stallTotals.count == 5)
        for metric in stallTotals {
            #expect(metric.aggregate == .shareOfTime && metric.trialUnit == .percent && metric.negligibleBelow == 1)
        }
        #expect(Metric.otherCPUCores.negligibleBelow == 0.1 && Metric.otherCPUCores.trialUnit == .cores)
        #expect(Metric.cgroupCPUThrottled.trialUnit == .microseconds)
    }

    @Test func namesTheRecipesAndReportsUse() {
        for name in [
            "ttft", "itl", "tpot", "e2e", "tokens_per_s", "errors", "cgroup.cpu.throttled_usec", "psi.io.some_total",
            "process.majflt", "cgroup.memory.workingset_refault_file", "system.other_cpu_cores", "process.utime_ms",
            "process.rss", "process.minflt", "process.ctxsw_per_s", "process.cpu_cores",
            "process.runqueue_wait_ms_per_s",
            "psi.cpu.some_total", "psi.memory.some_total", "disk.read_mb_per_s", "file.resident_fraction",
            "process.majflt_per_s", "cgroup.cpu.throttled_usec_per_s", "psi.cpu.some_us_per_s",
            "psi.memory.some_us_per_s", "psi.io.some_us_per_s", "process.read_bytes",
        ] {
            #expect(MetricCatalog.named(name) != nil, "\(name)")
        }
    }

    @Test func jsonListingHasSnakeCaseKeys() throws {
        let data = try JSONEncoder().encode([Metric.ttft, Metric.serverTTFT, Metric.pressureIOSome])
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects.count == 3)
        #expect(objects[0]["name"] as? String == "ttft")
        #expect(objects[0]["unit"] as? String == "ms")
        #expect(objects[0]["kind"] as? String == "distribution")
        #expect(objects[0]["source"] as? String == "client")
        #expect(objects[0]["reading"] as? String == "request")
        #expect(objects[0]["description"] as? String == Metric.ttft.help)
        #expect(objects[1]["exposition"] as? String == "inferlab_ttft_seconds")
        #expect(objects[2]["aggregate"] as? String == "share_of_time")
        #expect(objects[2]["negligible_below"] as? Double == 1)
        #expect(objects[0]["exposition"] == nil && objects[0]["negligible_below"] == nil)
    }

    @Test func metricsPrintAsTheirNames() {
        #expect("\(Metric.cgroupCPUThrottled)" == "cgroup.cpu.throttled_usec")
    }
}
