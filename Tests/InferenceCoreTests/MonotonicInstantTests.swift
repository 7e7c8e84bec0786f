import Foundation
import InferLabCore
import Testing

/// The one clock's types: instants on `CLOCK_MONOTONIC` and the durations between them.
@Suite struct MonotonicInstantTests {
    let origin = MonotonicInstant(nanoseconds: 5_000_000_000)

    @Test func differencesAreSignedDurations() {
        let later = origin + .milliseconds(250)
        #expect(later.nanoseconds == 5_250_000_000)
        #expect(later - origin == .milliseconds(250))
        #expect(origin - later == .milliseconds(-250))
        #expect((later - origin).milliseconds == 250)
        #expect((later - origin).seconds == 0.25)
        #expect((origin - later).nanoseconds == -250_000_000)
        #expect(later - .milliseconds(250) == origin)
    }

    @Test func movingBeforeTheOriginStopsAtIt() {
        #expect(origin - .seconds(6) == .zero)
        #expect(origin.advanced(by: .seconds(-5)) == .zero)
        #expect(MonotonicInstant.zero.duration(to: origin) == .seconds(5))
    }

    @Test func theClockMovesForward() {
        let first = MonotonicInstant.now()
        let second = MonotonicInstant.now()
        #expect(second >= first)
        #expect(first.elapsed >= .zero)
        #expect(first > .zero)
    }

    @Test func filesHoldAnInstantAsItsNanoseconds() throws {
        struct Row: Codable, Equatable { var t: MonotonicInstant }
        let data = try JSONEncoder().encode(Row(t: origin))
        #expect(String(decoding: data, as: UTF8.self) == #"{"t":5000000000}"#)
        #expect(try JSONDecoder().decode(Row.self, from: data) == Row(t: origin))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Row.self, from: Data(#"{"t":-1}"#.utf8)) }
    }

    @Test func secondsFromConfigurationsAreClamped() {
        #expect(Duration.seconds(clamping: 1.5) == .milliseconds(1500))
        #expect(Duration.seconds(clamping: -2) == .zero)
        #expect(Duration.seconds(clamping: .nan) == .zero)
        #expect(Duration.seconds(clamping: .infinity) == .zero)
        #expect(Duration.seconds(clamping: 1e30).nanoseconds > 9_000_000_000_000_000_000)
        #expect(Duration.nanoseconds(1_234).nanoseconds == 1_234)
        #expect(Duration.seconds(-1.5).nanoseconds == -1_500_000_000)
    }
}
