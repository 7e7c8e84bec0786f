import InferLabCore
import LoadGen
import Testing

@Suite("Scenario schedulers on a fake clock")
struct SchedulerTests {
    @Test("Poisson gaps: mean 1/R and variance 1/R² over 10,000 draws")
    func poissonMoments() {
        var process = ArrivalProcess(rate: 20, seed: 7)
        let draws = (0..<10_000).map { _ in process.nextInterval() }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count - 1)
        // Standard error of the mean is 1/(R*sqrt(n)) = 0.0005 s: 4 % is about 4 standard errors.
        #expect(abs(mean - 0.05) / 0.05 < 0.04)
        #expect(abs(variance - 0.0025) / 0.0025 < 0.10)
        #expect(draws.allSatisfy { $0 > 0 })
    }

    @Test("gamma gaps: mean 1/R, variance 1/(k R²)", arguments: [0.5, 2.0, 4.0])
    func gammaMoments(shape: Double) {
        var process = ArrivalProcess(rate: 10, burstiness: shape, seed: 11)
        let draws = (0..<10_000).map { _ in process.nextInterval() }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count - 1)
        let expectedVariance = 1 / (shape * 100)
        #expect(abs(mean - 0.1) / 0.1 < 0.05)
        #expect(abs(variance - expectedVariance) / expectedVariance < 0.15)
    }

    @Test("same seed, same arrivals")
    func deterministic() {
        var a = ArrivalProcess(rate: 5, seed: 3)
        var b = ArrivalProcess(rate: 5, seed: 3)
        #expect(
            (0..<100).map { _ in a.nextGap() } == (0..<100).map { _ in b.nextGap() })
    }

    /// Simulates a driver with a fake clock: each request takes `service(index)`.
    func simulate(_ scheduler: inout LoadScheduler, service: (Int) -> Duration, maxSteps: Int = 1_000_000)
        -> (sends: [(index: Int, scheduled: MonotonicInstant, sent: MonotonicInstant)], maxInFlight: Int)
    {
        var now = scheduler.start
        var running: [MonotonicInstant] = []  // completion times
        var sends: [(Int, MonotonicInstant, MonotonicInstant)] = []
        var maxInFlight = 0
        for _ in 0..<maxSteps {
            switch scheduler.nextAction(now: now) {
            case .send(let index, let scheduled):
                sends.append((index, scheduled, now))
                running.append(now + service(index))
                maxInFlight = max(maxInFlight, running.count)
            case .sleep(let until):
                #expect(until > now)
                // A completion may come first; the fake driver only sleeps, like the real one.
                now = until
            case .awaitCompletion:
                running.sort()
                let done = running.removeFirst()
                now = max(now, done)
                scheduler.requestFinished()
            case .finished:
                #expect(running.isEmpty)
                return (sends, maxInFlight)
            }
        }
        Issue.record("the scheduler did not finish")
        return (sends, maxInFlight)
    }

    @Test("closed loop never exceeds N in flight and sends exactly M", arguments: [1, 3, 8])
    func closedLoop(concurrency: Int) {
        var scheduler = LoadScheduler(
            pattern: .closed(concurrency: concurrency), start: at(1_000), requests: 50, duration: nil)
        let result = simulate(&scheduler, service: { .microseconds(1_000 + ($0 % 5) * 300) })
        #expect(result.sends.count == 50)
        #expect(result.maxInFlight == concurrency)
        #expect(scheduler.peakInFlight == concurrency)
        #expect(result.sends.map(\.index) == Array(0..<50))
        #expect(result.sends.allSatisfy { $0.scheduled == $0.sent })
    }

    @Test("closed loop bounded by duration stops sending at the end")
    func closedDuration() {
        var scheduler = LoadScheduler(
            pattern: .closed(concurrency: 2), start: .zero, requests: nil, duration: .milliseconds(10))
        let result = simulate(&scheduler, service: { _ in .milliseconds(1) })
        #expect(result.sends.count == 20)  // 2 users, 1 ms each, 10 ms
        #expect(result.sends.allSatisfy { $0.sent < at(10_000_000) })
    }

    @Test("open loop keeps its schedule; a cap makes arrivals wait and the lag shows")
    func openLoop() {
        var process = ArrivalProcess(rate: 1000, seed: 5)
        var expected: [MonotonicInstant] = []
        var t = MonotonicInstant.zero
        for _ in 0..<200 {
            t += process.nextGap()
            expected.append(t)
        }
        var free = LoadScheduler(
            pattern: .open(ArrivalProcess(rate: 1000, seed: 5), maxConcurrency: nil), start: .zero, requests: 200,
            duration: nil)
        let uncapped = simulate(&free, service: { _ in .milliseconds(50) })
        #expect(uncapped.sends.map(\.scheduled) == expected)
        #expect(uncapped.sends.allSatisfy { $0.sent == $0.scheduled })  // never waits for completions
        #expect(uncapped.maxInFlight > 4)

        var capped = LoadScheduler(
            pattern: .open(ArrivalProcess(rate: 1000, seed: 5), maxConcurrency: 4), start: .zero, requests: 200,
            duration: nil)
        let result = simulate(&capped, service: { _ in .milliseconds(50) })
        #expect(result.sends.map(\.scheduled) == expected)  // t_sched is the arrival, not the send
        #expect(result.maxInFlight == 4)
        #expect(result.sends.contains { $0.sent > $0.scheduled })
    }

    @Test("offline sends everything at the start, capped when asked")
    func offline() {
        var all = LoadScheduler(
            pattern: .offline(maxConcurrency: nil), start: at(5), requests: 30, duration: nil)
        let result = simulate(&all, service: { _ in .microseconds(1) })
        #expect(result.maxInFlight == 30)
        #expect(result.sends.allSatisfy { $0.scheduled == at(5) })
        var capped = LoadScheduler(
            pattern: .offline(maxConcurrency: 3), start: at(5), requests: 30, duration: nil)
        #expect(simulate(&capped, service: { _ in .microseconds(1) }).maxInFlight == 3)
    }
}

/// The instant `nanoseconds` after the clock's origin.
private func at(_ nanoseconds: UInt64) -> MonotonicInstant { MonotonicInstant(nanoseconds: nanoseconds) }
