import Foundation
import Testing
import TestSupport
@testable import SystemProbe

/// The probe's JSONL encoder against Foundation's `JSONEncoder`: the same JSON values for a
/// real probe sample and for the shapes `Codable` can produce.
@Suite struct CompactJSONEncoderTests {
    struct Inner: Codable, Equatable {
        var name: String
        var values: [Double]
        var flag: Bool?
    }

    enum Level: String, Codable { case low, high }

    struct Outer: Codable, Equatable {
        var id: Int64
        var small: Int8
        var big: UInt64
        var ratio: Float
        var text: String
        var missing: String?
        var present: Int?
        var level: Level
        var inner: Inner
        var list: [Inner]
        var matrix: [[Int]]
        var table: [String: Int]
        var blob: Data
        var link: URL
        var empty: [Int]
    }

    /// The same JSON value: parsed by JSONSerialization on both sides (numbers compare by value).
    func sameJSON(_ a: [UInt8], _ b: Data) throws -> Bool {
        let left = try JSONSerialization.jsonObject(with: Data(a), options: [.fragmentsAllowed]) as? NSObject
        let right = try JSONSerialization.jsonObject(with: b, options: [.fragmentsAllowed]) as? NSObject
        return left != nil && left == right
    }

    @Test func everyCodableShapeMatchesFoundation() throws {
        let value = Outer(
            id: -9_223_372_036_854_775_807, small: -128, big: UInt64.max, ratio: 0.25,
            text: "quote \" backslash \\ slash / newline \n tab \t cr \r bell \u{07} nul \u{0} é 日本 🦙",
            missing: nil, present: 0, level: .high,
            inner: Inner(name: "a", values: [0, -1.5, 1e-7, 1e300, 123_456.789], flag: true),
            list: [Inner(name: "b", values: [], flag: nil), Inner(name: "", values: [2], flag: false)],
            matrix: [[1, 2], [], [3]], table: ["x": 1, "y z": -2], blob: Data([0, 1, 2, 250, 255]),
            link: URL(string: "https://example.com/a?b=c")!, empty: [])
        let compact = try CompactJSONEncoder().encode(value)
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.withoutEscapingSlashes]
        #expect(try sameJSON(compact, foundation.encode(value)))
        #expect(try JSONDecoder().decode(Outer.self, from: Data(compact)) == value)
        // Compact: no whitespace outside strings, nil fields absent, keys in declaration order.
        let text = String(decoding: compact, as: UTF8.self)
        #expect(text.hasPrefix(#"{"id":-9223372036854775807,"small":-128,"big":18446744073709551615,"#))
        #expect(!text.contains("missing"))
        #expect(text.contains(#""matrix":[[1,2],[],[3]]"#))
        #expect(text.contains(#""blob":"AAEC+v8=""#))
        #expect(text.contains(#"bell \u0007 nul \u0000"#))
    }

    @Test func topLevelScalarsAndArrays() throws {
        #expect(String(decoding: try CompactJSONEncoder().encode([1, 2, 3]), as: UTF8.self) == "[1,2,3]")
        #expect(String(decoding: try CompactJSONEncoder().encode("a\"b"), as: UTF8.self) == #""a\"b""#)
        #expect(String(decoding: try CompactJSONEncoder().encode(Level.low), as: UTF8.self) == #""low""#)
        #expect(String(decoding: try CompactJSONEncoder().encode([String: Int]()), as: UTF8.self) == "{}")
        var buffer = Array("prefix ".utf8)
        try CompactJSONEncoder().encode(true, appendingTo: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "prefix true")
    }

    @Test func nonFiniteNumbersThrowLikeFoundation() {
        #expect(throws: EncodingError.self) { try CompactJSONEncoder().encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try CompactJSONEncoder().encode([Double.infinity]) }
        #expect(throws: EncodingError.self) { try JSONEncoder().encode([Double.infinity]) }
    }

    @Test func aRealProbeSampleRoundTrips() async throws {
        // Two samples of this process (threads, system, cgroup, rates on the second).
        let sampler = try ProbeSampler(
            ProbeConfiguration(
                pid: getpid(), intervalMilliseconds: 10, durationSeconds: 0.05, slowIntervalMilliseconds: 0))
        var samples: [ProbeSample] = []
        for await sample in sampler.samples() { samples.append(sample) }
        let sample = try #require(samples.last)
        try #require(sample.threads?.isEmpty == false)
        #expect(sample.cpuCores != nil)
        let compact = try CompactJSONEncoder().encode(sample)
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try sameJSON(compact, foundation.encode(sample)))
        #expect(try JSONDecoder().decode(ProbeSample.self, from: Data(compact)) == sample)
    }
}
