import Foundation
import SystemProbe
import Testing
import TestSupport

@testable import Profiling

@Suite struct SchedTraceParsingTests {
    @Test func switchesAndWakeupsAreReadWithNamesThatHoldSpacesAndDashes() {
        let text = """
            # tracer: nop
            #
                       bash-7596    [001] d..2. 20022.169921: sched_switch: prev_comm=bash prev_pid=7596 prev_prio=120 prev_state=S ==> next_comm=my - odd name next_pid=7599 next_prio=120
             my - odd name-7599    [000] d.s4. 20022.176076: sched_wakeup: comm=rcu_preempt pid=15 prio=120 target_cpu=001
              <idle>-0       [001] d..2. 20022.176093: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R+ ==> next_comm=rcu_preempt next_pid=15 next_prio=120
                 sh-8000    [001] ..... 20022.176100: sched_wakeup_new: comm=sh pid=8001 prio=120 target_cpu=000
                 sh-8000    [001] ..... 20022.176200: sched_process_fork: comm=sh pid=8000 child_comm=sh child_pid=8002
            """
        let events = SchedTrace.parse(text)
        #expect(events.count == 4)
        #expect(
            events[0]
                == .switched(
                    time: .at(20_022_169_921_000), cpu: 1, previous: TraceTask(pid: 7596, comm: "bash"),
                    state: .sleeping,
                    next: TraceTask(pid: 7599, comm: "my - odd name")))
        #expect(
            events[1]
                == .woken(
                    time: .at(20_022_176_076_000), cpu: 0, waker: TraceTask(pid: 7599, comm: "my - odd name"),
                    task: TraceTask(pid: 15, comm: "rcu_preempt")))
        guard case .switched(_, _, let idle, let state, _) = events[2] else {
            Issue.record("not a switch")
            return
        }
        #expect(idle.isIdle && state == .runnable)
        guard case .created(_, _, let parent, let child) = events[3] else {
            Issue.record("not a new task")
            return
        }
        #expect(child.pid == 8001 && parent.pid == 8000)
    }

    @Test func nanosecondTimestampsAreKeptExactly() {
        #expect(SchedTrace.instant("12.000000001") == .at(12_000_000_001))
        #expect(SchedTrace.instant("12.5") == .at(12_500_000_000))
        #expect(SchedTrace.instant("12") == nil)
    }
}

@Suite struct SchedAnalysisTests {
    let a = TraceTask(pid: 1, comm: "inferlab-engine")
    let b = TraceTask(pid: 2, comm: "llama-worker-1")
    let x = TraceTask(pid: 100, comm: "stress-ng-cpu")
    let idle = TraceTask(pid: 0, comm: "swapper/0")

    static func ms(_ value: Double) -> MonotonicInstant { .at(UInt64(value * 1_000_000)) }

    /// A is preempted by a program for 4 ms while B runs; B sleeps until A wakes it and then
    /// waits half a millisecond for a CPU.
    var events: [SchedEvent] {
        [
            .switched(time: Self.ms(10), cpu: 0, previous: a, state: .runnable, next: x),
            .switched(time: Self.ms(14), cpu: 0, previous: x, state: .sleeping, next: a),
            .switched(time: Self.ms(20), cpu: 1, previous: b, state: .sleeping, next: idle),
            .woken(time: Self.ms(25), cpu: 0, waker: a, task: b),
            .switched(time: Self.ms(25.5), cpu: 1, previous: idle, state: .runnable, next: b),
        ]
    }

    func analysis(steps: [Range<MonotonicInstant>] = []) -> SchedAnalysis {
        SchedAnalysis(
            events: events, threads: [1: a.comm, 2: b.comm], window: Self.ms(0)..<Self.ms(30),
            kind: { _ in .otherProgram }, steps: steps)
    }

    @Test func perThreadOnCPUOffCPUAndRunQueueLatency() throws {
        let result = analysis()
        let threadA = try #require(result.threads.first { $0.tid == 1 })
        let threadB = try #require(result.threads.first { $0.tid == 2 })
        #expect(abs(threadA.onCPUMs - 26) < 1e-9)
        #expect(abs(threadB.onCPUMs - 24.5) < 1e-9)
        #expect(abs(threadA.offCPU.preempted - 4) < 1e-9)
        #expect(abs(threadB.offCPU.sleeping - 5) < 1e-9)
        #expect(abs(threadB.offCPU.runQueueAfterWakeup - 0.5) < 1e-9)
        #expect(threadA.runQueueLatency.count == 1 && abs(threadA.runQueueLatency.maxUs - 4000) < 1e-6)
        #expect(threadB.runQueueLatency.count == 1 && abs(threadB.runQueueLatency.maxUs - 500) < 1e-6)
        #expect(threadA.preemptedBy == [.init(name: "stress-ng-cpu", kind: .otherProgram, count: 1, ms: 4)])
        #expect(threadA.preemptions == 1 && threadB.preemptions == 0)
        #expect(result.computeThreads == [1, 2])
    }

    @Test func theStragglerIsTheLateThreadWhileTheOtherRanOrWaitedForIt() throws {
        let barrier = analysis().barrier
        #expect(abs(barrier.stragglerMs - 4.5) < 1e-9)
        #expect(abs(barrier.busyMs - 30) < 1e-9)
        #expect(abs(barrier.share - 0.15) < 1e-9)
        #expect(barrier.reasons.map(\.reason) == [.preemptedByProgram, .runQueue])
        #expect(barrier.steps == nil)
    }

    @Test func perStepStragglingWhenTheStepsAreKnown() throws {
        let steps = try #require(analysis(steps: [Self.ms(0)..<Self.ms(15), Self.ms(15)..<Self.ms(30)]).barrier.steps)
        #expect(steps.count == 2)
        #expect(abs(steps.maxMs - 4) < 1e-9)
        #expect(steps.stepsOverOneMs == 1)
        #expect(abs(steps.share - 0.15) < 1e-9)
    }

    @Test func aThreadThrottledByItsQuotaIsPreemptedByTheIdleCPU() throws {
        let events: [SchedEvent] = [
            .switched(time: Self.ms(5), cpu: 0, previous: a, state: .runnable, next: idle),
            .switched(time: Self.ms(9), cpu: 0, previous: idle, state: .runnable, next: a),
        ]
        let result = SchedAnalysis(
            events: events, threads: [1: a.comm, 2: b.comm], window: Self.ms(0)..<Self.ms(10),
            kind: { _ in .otherProgram })
        let threadA = try #require(result.threads.first { $0.tid == 1 })
        #expect(threadA.preemptedBy.first?.kind == .idle)
    }

    @Test func aNameSharedByAnEngineThreadAndAnotherProgramIsTwoPreempters() throws {
        let ownSwift = TraceTask(pid: 3, comm: "oot.default-qos")
        let otherSwift = TraceTask(pid: 300, comm: "oot.default-qos")
        let events: [SchedEvent] = [
            .switched(time: Self.ms(1), cpu: 0, previous: a, state: .runnable, next: ownSwift),
            .switched(time: Self.ms(2), cpu: 0, previous: ownSwift, state: .sleeping, next: a),
            .switched(time: Self.ms(3), cpu: 0, previous: a, state: .runnable, next: otherSwift),
            .switched(time: Self.ms(5), cpu: 0, previous: otherSwift, state: .sleeping, next: a),
        ]
        let result = SchedAnalysis(
            events: events, threads: [1: a.comm, 3: ownSwift.comm], window: Self.ms(0)..<Self.ms(10),
            kind: { _ in .otherProgram })
        let threadA = try #require(result.threads.first { $0.tid == 1 })
        #expect(
            threadA.preemptedBy == [
                .init(name: "oot.default-qos", kind: .otherProgram, count: 1, ms: 2),
                .init(name: "oot.default-qos", kind: .engineThread, count: 1, ms: 1),
            ])
    }

    @Test func runQueueLatencyIsBucketedInPowersOfTwoMicroseconds() {
        let histogram = SchedAnalysis.LatencyHistogram(latencies: [
            .nanoseconds(500), .microseconds(3), .microseconds(3), .milliseconds(1),
        ])
        #expect(histogram.count == 4)
        #expect(histogram.buckets.first == .init(lowUs: 0, highUs: 1, count: 1))
        #expect(histogram.buckets.first { $0.lowUs == 2 }?.count == 2)
        #expect(histogram.buckets.last == .init(lowUs: 512, highUs: 1024, count: 1))
        #expect(histogram.buckets.map(\.count).reduce(0, +) == 4)
    }

    @Test func intervalsUniteAndIntersect() {
        var left = Intervals()
        left.append(Self.ms(0), Self.ms(10))
        left.append(Self.ms(5), Self.ms(12))
        left.append(Self.ms(20), Self.ms(30))
        left.normalize()
        #expect(left.spans.count == 2 && left.total == .milliseconds(22))
        let right = Intervals([Self.ms(8)..<Self.ms(25)])
        #expect(left.intersection(right).total == .milliseconds(9))
        #expect(left.overlap(with: Self.ms(0)..<Self.ms(1)) == .milliseconds(1))
    }

    @Test func theReportKeepsTheAnalysisKeysBesideItsOwn() throws {
        let report = SchedReport(pid: 7, applied: true, analysis: analysis())
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(object["threads"] != nil && object["barrier"] != nil && object["applied"] as? Bool == true)
        #expect(try JSONDecoder().decode(SchedReport.self, from: JSONEncoder().encode(report)) == report)
        let refused = SchedReport(pid: 7, applied: false, reason: "tracing the scheduler needs root (tracefs)")
        #expect(try JSONDecoder().decode(SchedReport.self, from: JSONEncoder().encode(refused)) == refused)
        #expect(refused.summary == ["sched: not applied: tracing the scheduler needs root (tracefs)"])
    }
}

@Suite struct MachineViewTests {
    func counters(_ cpuLine: String, ticks: UInt64?, at seconds: UInt64) throws -> MachineView.Counters {
        MachineView.Counters(
            cpu: try CPUTimes.parse(cpuLine + "\n"), processTicks: ticks,
            time: MonotonicInstant(nanoseconds: seconds * 1_000_000_000))
    }

    @Test func theProcessAndTheRestOfTheMachineOverTheWindow() throws {
        // 2 CPUs for 1 s: 200 ticks, 150 busy, 10 stolen; the process used 100.
        let start = try counters("cpu  0 0 0 0 0 0 0 0 0 0", ticks: 50, at: 10)
        let end = try counters("cpu  100 0 40 50 0 0 0 10 0 0", ticks: 150, at: 11)
        let view = try #require(MachineView(from: start, to: end))
        #expect(view.cpus == 2)
        #expect(view.stealShare == 0.05)
        #expect(view.processCores == 1)
        #expect(abs(view.otherCores - 0.5) < 1e-9)
    }

    /// A process that ended inside the window has no end reading: no view, not a wrapped count.
    @Test func aProcessThatEndedGivesNoView() throws {
        let start = try counters("cpu  0 0 0 0 0 0 0 0 0 0", ticks: 50, at: 10)
        let end = try counters("cpu  100 0 40 50 0 0 0 10 0 0", ticks: nil, at: 11)
        #expect(MachineView(from: start, to: end) == nil)
    }
}
