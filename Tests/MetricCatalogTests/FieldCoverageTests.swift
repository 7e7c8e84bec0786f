import Foundation
import InferenceCore
import MetricCatalog
import TestSupport
import Testing

@testable import SystemProbe

/// Every numeric field of `ProbeSample`, `ThreadSample` and `StepRecord` is read by exactly one
/// metric, as it is (changing the field by one changes that metric's reading by one and no other
/// metric's), or is listed in the catalogue as deliberately no metric.
@Suite struct FieldCoverageTests {
    typealias Reader<T> = (name: String, read: (T) -> Double?)

    static var probeReaders: [Reader<ProbeSample>] {
        MetricCatalog.all.compactMap { metric in
            if case .probe(let read) = metric.reading { return (metric.name, read) }
            return nil
        }
    }
    static var threadReaders: [Reader<ThreadSample>] {
        MetricCatalog.all.compactMap { metric in
            if case .thread(let read) = metric.reading { return (metric.name, read) }
            return nil
        }
    }
    static var stepReaders: [Reader<StepRecord>] {
        MetricCatalog.all.compactMap { metric in
            if case .step(let read) = metric.reading { return (metric.name, read) }
            return nil
        }
    }

    static var thread: [String: Any] {
        [
            "tid": 11, "comm": "llama", "state": "R", "processor": 1, "cpu_ms": 5, "run_ns": 6, "runqueue_wait_ns": 7,
            "cpu_cores": 8, "runqueue_wait_ms_per_s": 9,
        ]
    }

    /// A probe sample with every field of `ProbeSample.CodingKeys` set: numbers distinct, the
    /// few text and list fields with values of their type.
    static func fullProbeSample() -> [String: Any] {
        let nonNumeric: [String: Any] = [
            "event": "sample", "state": "R", "cpus_allowed_list": "0-1", "threads": [thread], "cgroup_version": "v2",
            "cgroup_path": "/inferlab/trial-0", "file_path": "/models/m.gguf",
        ]
        var object: [String: Any] = [:]
        for (index, key) in ProbeSample.CodingKeys.allCases.enumerated() {
            object[key.rawValue] = nonNumeric[key.rawValue] ?? (index + 2)
        }
        return object
    }

    @Test func everyProbeSampleFieldIsOneMetricOrListed() throws {
        let object = Self.fullProbeSample()
        #expect(Set(object.keys) == Set(ProbeSample.CodingKeys.allCases.map(\.rawValue)))
        try check(object, as: ProbeSample.self, Self.probeReaders, notMetrics: MetricCatalog.probeFieldsNotMetrics)
    }

    @Test func everyThreadSampleFieldIsOneMetricOrListed() throws {
        try expectEveryPropertySet(Self.thread, as: ThreadSample.self)
        try check(
            Self.thread, as: ThreadSample.self, Self.threadReaders, notMetrics: MetricCatalog.threadFieldsNotMetrics)
    }

    @Test func everyStepRecordFieldIsOneMetricOrListed() throws {
        let step = StepRecord(
            index: 9, start: .at(100), durationMilliseconds: 7, decodeTokens: 3, promptTokens: 64, promptSequences: 2,
            running: 5, waiting: 1, requests: [StepShare(id: "cmpl-a", decode: 0, prompt: 64)])
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(step)) as? [String: Any])
        try expectEveryPropertySet(object, as: StepRecord.self)
        try check(object, as: StepRecord.self, Self.stepReaders, notMetrics: MetricCatalog.stepFieldsNotMetrics)
    }

    /// The fixture sets every stored property, so a field added later is checked too.
    func expectEveryPropertySet<T: Decodable>(_ object: [String: Any], as type: T.Type) throws {
        let value = try decode(object, as: type)
        let children = Mirror(reflecting: value).children
        #expect(children.count == object.count, "the fixture of \(type) misses a field")
        for child in children {
            let mirror = Mirror(reflecting: child.value)
            #expect(!(mirror.displayStyle == .optional && mirror.children.isEmpty), "\(child.label ?? "?") is nil")
        }
    }

    func check<T: Decodable>(
        _ object: [String: Any], as type: T.Type, _ readers: [Reader<T>], notMetrics: [(field: String, reason: String)]
    ) throws {
        let listed = Set(notMetrics.map(\.field))
        #expect(listed.isSubset(of: object.keys), "listed but no field: \(listed.subtracting(object.keys).sorted())")
        let base = try decode(object, as: type)
        var readBy: [String: String] = [:]
        for key in object.keys.sorted() {
            guard let number = object[key] as? Int else {
                #expect(listed.contains(key), "\(type).\(key) is not numeric: list it as no metric")
                continue
            }
            var changed = object
            changed[key] = number + 1
            let perturbed = try decode(changed, as: type)
            let moved = readers.filter { $0.read(base) != $0.read(perturbed) }
            if listed.contains(key) {
                #expect(moved.isEmpty, "\(type).\(key) is listed as no metric but \(moved.map(\.name)) read it")
                continue
            }
            guard moved.count == 1, let reader = moved.first else {
                Issue.record("\(type).\(key) is read by \(moved.map(\.name)): want exactly one metric (or list it)")
                continue
            }
            let delta = (reader.read(perturbed) ?? .nan) - (reader.read(base) ?? .nan)
            #expect(delta == 1, "\(reader.name) reads \(type).\(key) converted (change \(delta)), not as it is")
            readBy[key] = reader.name
        }
        let names = readBy.values.sorted()
        #expect(Set(names).count == names.count, "a metric reads two fields")
        #expect(
            Set(readers.map(\.name)) == Set(names),
            "a reading reads no field: \(Set(readers.map(\.name)).subtracting(names))")
    }

    func decode<T: Decodable>(_ object: [String: Any], as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: try JSONSerialization.data(withJSONObject: object))
    }
}
