import Foundation
import Testing
import TestSupport
@testable import SystemProbe

@Suite struct ProbeSamplerTests {
    @Test func configurationValidation() {
        #expect(throws: ProbeError.self) { try ProbeConfiguration(intervalMilliseconds: 5).validate() }
        #expect(throws: ProbeError.self) { try ProbeConfiguration(pid: -3).validate() }
        #expect(throws: ProbeError.self) { try ProbeConfiguration(durationSeconds: 0).validate() }
        #expect(throws: ProbeError.self) { try ProbeSampler(ProbeConfiguration(pid: 999_999_999)) }
    }

    @Test func derivedRatesArePerSecond() {
        var a = ProbeSnapshot(time: .at(1_000_000_000))
        a.stat = ProcessStat(
            pid: 1, comm: "x", state: "R", minflt: 10, majflt: 5, utimeTicks: 100, stimeTicks: 0, numThreads: 2,
            startTimeTicks: 0)
        a.cgroup = CgroupStats(version: .v1, path: "/x")
        a.cgroup?.usageMicroseconds = 0
        a.cgroup?.throttledMicroseconds = 0
        a.pressureMemory = Pressure(
            some: PressureLine(avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 1000), full: nil)
        var b = a
        b.time = .at(1_500_000_000)
        b.stat?.majflt = 55
        b.stat?.utimeTicks = 150  // 0.5 s of CPU in 0.5 s
        b.cgroup?.usageMicroseconds = 100_000
        b.cgroup?.throttledMicroseconds = 200_000
        b.pressureMemory?.some?.totalMicroseconds = 51_000
        let first = ProbeSample.derive(a, previous: nil, start: .at(1_000_000_000))
        #expect(first.majfltPerS == nil)
        #expect(first.elapsedMs == 0)
        let s = ProbeSample.derive(b, previous: a, start: .at(1_000_000_000))
        #expect(s.intervalMs == 500)
        #expect(s.majfltPerS == 100)
        #expect(s.cpuCores == 1)
        #expect(abs((s.cgCpuCores ?? 0) - 0.2) < 1e-9)
        #expect(s.cgThrottledUsecPerS == 400_000)
        #expect(s.psiMemorySomeUsPerS == 100_000)
        #expect(s.cgroupVersion == .v1)
    }

    @Test func processCPUCoresIsTakenOverAtLeastAWindowOfTicks() {
        // 1.5 cores read through 10 ms clock ticks every 10 ms: the ticks go up by 1, 2, 1, 2, ...
        var deriver = SampleDeriver(start: .zero, ticksPerSecond: 100, cpuWindow: .milliseconds(100))
        var snapshot = ProbeSnapshot(time: .at(0))
        snapshot.pid = 1
        snapshot.stat = ProcessStat(
            pid: 1, comm: "x", state: "R", minflt: 0, majflt: 0, utimeTicks: 0, stimeTicks: 0, numThreads: 2,
            startTimeTicks: 0)
        var snapshots: [ProbeSnapshot] = []
        var samples: [ProbeSample] = []
        for index in 0..<40 {
            snapshot.time = .at(UInt64(index) * 10_000_000)
            snapshot.stat?.utimeTicks = UInt64(index / 2 * 3 + index % 2)
            snapshots.append(snapshot)
            samples.append(deriver.sample(snapshot))
        }
        #expect(samples[0].cpuCores == nil)
        // Over a single 10 ms interval the rate reads 1 or 2 cores; over 100 ms it reads 1.5.
        let perInterval = ProbeSample.derive(snapshots[21], previous: snapshots[20], start: .zero)
        #expect(perInterval.cpuCores == 1 || perInterval.cpuCores == 2)
        for sample in samples[10...] {
            #expect(sample.cpuCores.map { abs($0 - 1.5) <= 0.1 } == true, "at \(sample.elapsedMs) ms")
        }
        // The other rates stay over the interval.
        #expect(samples[20].intervalMs == 10)
    }

    @Test func samplesThisProcessAtAFixedInterval() async throws {
        let sampler = try ProbeSampler(
            ProbeConfiguration(pid: getpid(), intervalMilliseconds: 50, durationSeconds: 0.4))
        var samples: [ProbeSample] = []
        for await sample in sampler.samples() { samples.append(sample) }
        #expect(samples.count >= 6 && samples.count <= 10)
        #expect(samples.allSatisfy { $0.event == "sample" && $0.pid == getpid() })
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.time < $1.time })
        let intervals = samples.compactMap(\.intervalMs)
        #expect(intervals.count == samples.count - 1)
        #expect(intervals.sorted()[intervals.count / 2] > 40 && intervals.sorted()[intervals.count / 2] < 80)
        let last = try #require(samples.last)
        #expect((last.numThreads ?? 0) >= 1)
        #expect(last.cpuCores != nil)
        #expect(last.cgroupVersion != nil)
        #expect(last.cgUsageUsec != nil)
        // The slow readings (every 100 ms by default) are in every other sample at 50 ms.
        let slow = try #require(samples.last { $0.rssBytes != nil })
        #expect(samples.filter { $0.rssBytes != nil }.count >= samples.count / 2 - 1)
        #expect((slow.threads?.count ?? 0) >= 1)
        #expect((slow.rssBytes ?? 0) > 1_000_000)
        #expect(slow.sysPgfault != nil)
        #expect(slow.psiCpuSomeTotalUs != nil)
    }

    @Test func aProcessThatExitsEndsTheSeriesWithItsStatus() async throws {
        let child = try ProbeChildProcess("/bin/sh", ["-c", "sleep 0.3; exit 3"])
        defer { child.kill() }
        let sampler = try ProbeSampler(
            ProbeConfiguration(pid: child.pid, intervalMilliseconds: 20, includeSystem: false))
        var samples: [ProbeSample] = []
        for await sample in sampler.samples() { samples.append(sample) }
        let last = try #require(samples.last)
        #expect(last.event == "exit")
        #expect(last.exitStatus == 3)
        #expect(last.exitSignal == nil)
        #expect(samples.dropLast().allSatisfy { $0.event == "sample" })
        #expect(samples.count >= 5)
        #expect(ProcessExit.fromWaitStatus(child.wait()).status == 3)
    }

    @Test func aKilledProcessReportsTheSignal() async throws {
        let child = try ProbeChildProcess("/bin/sleep", ["5"])
        defer { child.kill() }
        let sampler = try ProbeSampler(
            ProbeConfiguration(pid: child.pid, intervalMilliseconds: 20, includeSystem: false))
        Task {
            try await Task.sleep(nanoseconds: 150_000_000)
            kill(child.pid, SIGKILL)
        }
        var last: ProbeSample?
        for await sample in sampler.samples() { last = sample }
        #expect(last?.event == "exit")
        #expect(last?.exitSignal == SIGKILL)
    }

    @Test func samplesAreJSONLinesWithSnakeCaseKeys() throws {
        let sampler = try ProbeSampler(ProbeConfiguration(pid: getpid()))
        let sample = sampler.sampleOnce()
        let data = try JSONEncoder().encode(sample)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["t_ns", "elapsed_ms", "event", "pid", "majflt", "rss_bytes", "num_threads", "cgroup_version"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(!String(decoding: data, as: UTF8.self).contains("\n"))
        #expect(try JSONDecoder().decode(ProbeSample.self, from: data) == sample)
    }

    @Test func fileResidencyIsSampled() throws {
        let path = TestPaths.temporaryDirectory("probe").appendingPathComponent("f").path
        try Data(repeating: 7, count: 1 << 20).write(to: URL(fileURLWithPath: path))
        let sampler = try ProbeSampler(ProbeConfiguration(filePath: path, includeSystem: false))
        let fraction = try #require(sampler.sampleOnce().fileResidentFraction)
        #expect(fraction > 0.9)  // just written: in the page cache
    }
}
