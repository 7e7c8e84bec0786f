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

    /// A sample with every field set, built from JSON naming every coding key: integers where the
    /// field is an integer (decoding 7.25 into one fails), 7.25 elsewhere, and text where it is text.
    func fullSample() throws -> ProbeSample {
        let text: [String: String] = [
            "event": #""exit""#, "state": #""R \"quoted\"\ttab""#, "cpus_allowed_list": #""0-1""#,
            "cgroup_version": #""v1""#, "cgroup_path": #""/a/b""#, "file_path": #""/models/m.gguf""#,
            "threads": #"[{"tid":3,"comm":"llama","state":"R","cpu_ms":1.5,"processor":1}]"#,
        ]
        let integers = Set(
            Mirror(reflecting: ProbeSample(time: .at(0), elapsedMs: 0)).children.compactMap { child -> String? in
                let typeName = String(describing: Swift.type(of: child.value))
                guard typeName.contains("Int"), let label = child.label else { return nil }
                // The property name in snake case is its key ("numThreads" -> "num_threads").
                return label.map { $0.isUppercase ? "_" + $0.lowercased() : String($0) }.joined()
            }
        )
        .union(["t_ns"])  // `time`, a `MonotonicInstant`, is written as its integer nanoseconds
        var pairs: [String] = []
        for key in ProbeSample.CodingKeys.allCases {
            let value = text[key.rawValue] ?? (integers.contains(key.rawValue) ? "12" : "7.25")
            pairs.append("\"\(key.rawValue)\":\(value)")
        }
        let json = "{" + pairs.joined(separator: ",") + "}"
        return try JSONDecoder().decode(ProbeSample.self, from: Data(json.utf8))
    }

    @Test func theHandWrittenSampleWriterWritesWhatTheEncoderWrites() throws {
        let full = try fullSample()
        // Every stored property is set, so a field missing from `appendJSON` shows as a difference.
        let unset = Mirror(reflecting: full).children.filter { "\($0.value)" == "nil" }
        #expect(unset.map(\.label) == [], "set these fields in fullSample()")
        let sparse = ProbeSample(time: .at(5), elapsedMs: 0.5)
        for sample in [full, sparse] {
            var written = Array("prefix ".utf8)
            try sample.appendJSON(to: &written)
            let encoded = Array("prefix ".utf8) + (try CompactJSONEncoder().encode(sample))
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
        }
        var nan = sparse
        nan.cpuCores = .nan
        var bytes: [UInt8] = []
        #expect(throws: EncodingError.self) { try nan.appendJSON(to: &bytes) }
    }
}
