import Foundation
import Testing
import TestSupport
@testable import SystemProbe

#if canImport(Glibc)
    import Glibc
#endif

/// The logic that keeps the 100 Hz probe cheap: gates, residency rate limiting, slow readings,
/// and the byte-level parsers (checked against the behaviour of the line-splitting ones).
@Suite struct ProbeCostTests {
    @Test func intervalGateTakesTheFirstReadingThenWaitsWithSlack() {
        // 100 ms readings on a 10 ms sampler: slack 5 ms.
        var gate = IntervalGate(intervalMilliseconds: 100, samplingMilliseconds: 10)
        let taken = [1_000_000_000, 1_010_000_000, 1_094_000_000, 1_096_000_000].map { gate.take(.at($0)) }
        #expect(taken == [true, false, false, true])  // 96 ms + 5 ms slack >= 100 ms
        #expect(gate.last == .at(1_096_000_000))
        // A sampler at the slow interval itself takes the reading at every (jittery) tick.
        var same = IntervalGate(intervalMilliseconds: 100, samplingMilliseconds: 100)
        #expect([0, 99_000_000, 198_500_000].map { same.take(.at($0)) } == [true, true, true])
        // 0 = every call.
        var every = IntervalGate(intervalMilliseconds: 0, samplingMilliseconds: 10)
        #expect([5, 5, 6].map { every.take(.at($0)) } == [true, true, true])
    }

    @Test func residencyIsRateLimitedAndRemeasuredWhenDue() throws {
        let path = TestPaths.temporaryDirectory("probe-residency").appendingPathComponent("f").path
        try Data(repeating: 3, count: 1 << 20).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let monitor = FileResidencyMonitor(path: path, intervalMilliseconds: 1000, samplingMilliseconds: 10)
        let t0 = MonotonicInstant.at(10_000_000_000)
        let first = try #require(monitor.fraction(at: t0))
        #expect(first > 0.9)  // just written
        fsync(fd)
        #expect(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
        // Within the interval: the last measurement is repeated, nothing is measured.
        #expect(monitor.fraction(at: t0 + .milliseconds(500)) == first)
        #expect(monitor.measurements == 1)
        // Due: measured again, and the eviction shows.
        let later = try #require(monitor.fraction(at: t0 + .seconds(1)))
        #expect(monitor.measurements == 2)
        #expect(later < 0.1)
        // A replaced file is mapped anew.
        try Data(repeating: 4, count: 1 << 21).write(to: URL(fileURLWithPath: path + ".new"))
        #expect(rename(path + ".new", path) == 0)
        let replaced = try #require(monitor.fraction(at: t0 + .seconds(3)))
        #expect(replaced > 0.9)
        #expect(FileResidencyMonitor.residentCount([1, 0, 3, 2, 0x81]) == 3)
    }

    @Test func cachestatAndMincoreCountTheSamePages() throws {
        let path = TestPaths.temporaryDirectory("probe-cachestat").appendingPathComponent("f").path
        // Written a page at a time: the page cache then holds small folios, which a partial
        // DONTNEED can drop (a single 4 MiB write may be cached in large folios it cannot).
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let page = [UInt8](repeating: 5, count: 4096)
        for _ in 0..<1024 { #expect(write(fd, page, page.count) == page.count) }
        fsync(fd)
        // Evict the first quarter and the third: half the file stays cached.
        #expect(posix_fadvise(fd, 0, 1 << 20, POSIX_FADV_DONTNEED) == 0)
        #expect(posix_fadvise(fd, 2 << 20, 1 << 20, POSIX_FADV_DONTNEED) == 0)
        let fast = FileResidencyMonitor(path: path, intervalMilliseconds: 0)
        let slow = FileResidencyMonitor(path: path, intervalMilliseconds: 0)
        slow.useMincore()
        let byCachestat = try #require(fast.measure())
        let byMincore = try #require(slow.measure())
        #expect(fast.method == .cachestat)  // this kernel (6.18) has it
        #expect(slow.method == .mincore)
        #expect(abs(byCachestat - 0.5) < 0.01, "cachestat \(byCachestat), mincore \(byMincore)")
        #expect(abs(byCachestat - byMincore) < 0.001)
    }

    @Test func residencyIntervalGrowsWithTheCostOfAMeasurement() throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        let monitor = FileResidencyMonitor(
            path: TestPaths.defaultModel, intervalMilliseconds: 1, samplingMilliseconds: 1)
        _ = monitor.fraction(at: .at(1))
        // 24k pages cost well over 10 us, so the 1 ms floor grows to 100x the cost.
        #expect(monitor.gate.interval > .milliseconds(1))
        #expect(monitor.measurements == 1)
    }

    @Test func slowReadingsAppearOnlyInTheSamplesThatTookThem() {
        func snapshot(_ t: UInt64, majflt: UInt64, pgmajfault: UInt64?) -> ProbeSnapshot {
            var s = ProbeSnapshot(time: .at(t))
            s.stat = ProcessStat(
                pid: 1, comm: "x", state: "R", minflt: 0, majflt: majflt, utimeTicks: 0, stimeTicks: 0, numThreads: 1,
                startTimeTicks: 0)
            s.vmstat = pgmajfault.map { VMStat(pgmajfault: $0) }
            s.slowFresh = pgmajfault != nil
            return s
        }
        let a = snapshot(0, majflt: 0, pgmajfault: 0)
        let b = snapshot(10_000_000, majflt: 1, pgmajfault: nil)  // between slow readings
        let c = snapshot(100_000_000, majflt: 10, pgmajfault: 50)
        let d = snapshot(110_000_000, majflt: 11, pgmajfault: nil)
        let sa = ProbeSample.derive(a, previous: nil, previousSlow: nil, start: .zero)
        #expect(sa.sysPgmajfault == 0 && sa.sysPgmajfaultPerS == nil)  // no earlier slow reading
        let sb = ProbeSample.derive(b, previous: a, previousSlow: a, start: .zero)
        #expect(sb.majfltPerS == 100)  // fast: over 10 ms
        #expect(sb.sysPgmajfault == nil && sb.sysPgmajfaultPerS == nil)  // not read, not repeated
        let sc = ProbeSample.derive(c, previous: b, previousSlow: a, start: .zero)
        #expect(sc.majfltPerS == 100)
        #expect(sc.sysPgmajfaultPerS == 500)  // 50 over the 100 ms between slow readings
        let sd = ProbeSample.derive(d, previous: c, previousSlow: c, start: .zero)
        #expect(sd.majfltPerS == 100)
        #expect(sd.sysPgmajfault == nil && sd.sysPgmajfaultPerS == nil)
    }

    @Test func aFastSamplerReadsSlowFilesLessOften() async throws {
        let sampler = try ProbeSampler(
            ProbeConfiguration(
                pid: getpid(), intervalMilliseconds: 10, durationSeconds: 0.3, slowIntervalMilliseconds: 100))
        var samples: [ProbeSample] = []
        for await sample in sampler.samples() { samples.append(sample) }
        #expect(samples.count >= 20)
        // The fast readings are in every sample: the process's stat and the cgroup's CPU usage
        // (the sampler thread itself runs in the cgroup).
        #expect(samples.allSatisfy { $0.majflt != nil && $0.cgUsageUsec != nil })
        // The slow ones only in the samples that read them, together, with the threads; their
        // rates are over the slow interval.
        let slow = samples.filter { $0.rssBytes != nil }
        #expect(slow.count >= 2 && slow.count <= 5)
        #expect(slow.allSatisfy { $0.sysPgfault != nil && $0.threads?.isEmpty == false })
        #expect(samples.filter { $0.sysPgfault != nil || $0.threads != nil || $0.runNs != nil }.count == slow.count)
        // The process's run time is its threads' summed (this process has the sampler thread
        // besides the main one, which sleeps in the test's await).
        for sample in slow {
            let threads = sample.threads ?? []
            #expect(sample.runNs == threads.compactMap(\.runNanoseconds).reduce(0, +))
        }
        #expect(slow.dropFirst().allSatisfy { $0.threads!.contains { $0.cpuCores != nil } && $0.ctxswPerS != nil })
        #expect(Set(samples.compactMap(\.cgUsageUsec)).count > slow.count)
    }

    @Test func byteParsersMatchTheFormats() throws {
        let stat = try ProcessStat.parse(
            "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 3 0 99 "
                + (23...51).map { "\($0)" }.joined(separator: " ") + " 256\n")
        #expect(stat.pid == 42 && stat.comm == "a (b) c" && stat.state == "S")
        #expect(stat.minflt == 7 && stat.majflt == 9 && stat.utimeTicks == 11 && stat.stimeTicks == 12)
        #expect(stat.numThreads == 3 && stat.startTimeTicks == 99 && stat.processor == 39 && stat.exitCode == 256)
        #expect(throws: ProbeError.self) { try ProcessStat.parse("42 (x) S 1 2") }
        let vm = VMStat.parse("nr_free 1\npgfault 10\nallocstall_dma 2\nallocstall_normal 3\npgmajfault x\n")
        #expect(vm.pgfault == 10 && vm.pgmajfault == nil && vm.allocstall == 5)
        let status = ProcessStatus.parse(
            "Name:\tllama\nVmRSS:\t  100 kB\nvoluntary_ctxt_switches:\t7\nCpus_allowed_list:\t0-1\n")
        #expect(status.name == "llama" && status.vmRSS == 102_400 && status.voluntaryCtxtSwitches == 7)
        #expect(status.cpusAllowedList == "0-1")
        let psi = Pressure.parse(
            "some avg10=1.50 avg60=0.00 avg300=0.00 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=9\n")
        #expect(psi.some?.avg10 == 1.5 && psi.some?.totalMicroseconds == 123 && psi.full?.totalMicroseconds == 9)
        let cpu = try CPUTimes.parse("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1 1\nintr 5 6\n")
        #expect(cpu.user == 1 && cpu.steal == 8 && cpu.total == 36)
        let disks = DiskStat.parse(" 253 0 vda 10 0 80 5 20 0 160 7 0 9 12 0 0 0 0\n 7 0 loop0 1 2\n")
        #expect(
            disks.count == 1 && disks[0].name == "vda" && disks[0].sectorsRead == 80
                && disks[0].weightedMilliseconds == 12)
    }
}
