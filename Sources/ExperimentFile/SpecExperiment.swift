import Foundation
import InferLabCore
public import LoadGen
import Yams

/// An experiment file: what to run, what to sweep, how often, and what evidence to judge.
///
/// ```yaml
/// name: cpu-quota
/// engine: {kind: inferlab, model: smollm2-135m, scheduler: continuous, threads: 2, ctx: 4096}
/// workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 4,
///            requests: 48, warmup: 4, max_tokens: 64}
/// probe: {interval_ms: 50}
/// matrix:
///   cpu_quota: [none, 1.5, 1.0, 0.5]
/// repetitions: 3
/// evidence:
///   app: [ttft.p99, itl.p99]
///   mechanism: [cgroup.cpu.throttled_usec]
///   control: [psi.io.some_total, process.majflt]
/// ```
///
/// `ExperimentSpec.parse(yaml:)` decodes and validates; an unknown key or a bad value throws a
/// `ConfigurationError` naming the field before anything starts.
public struct ExperimentSpec: Sendable, Codable, Equatable {
    /// Letters, digits, `-`, `_` and `.`; used in the run directory's name. Required.
    public var name: String
    /// Free text shown at the top of the report. The default is none.
    public var description: String?
    /// The study this recipe answers, for its study-specific section of the report. The default
    /// is none.
    public var study: StudyKind?
    /// Required.
    public var engine: EngineSpec
    /// What the load generator sends: `inferlab bench`'s configuration, under its keys.
    public var workload = BenchConfiguration()
    public var probe: ProbeSpec = ProbeSpec()
    /// Controls applied to every trial unless swept. The default is none.
    public var constraints: ConstraintSpec = ConstraintSpec()
    /// System preparation for the whole run. The default is none.
    public var system: SystemSpec?
    /// Swept variables. The default is empty (one level).
    public var matrix: Matrix = Matrix()
    /// Named configurations compared with each other. The default is none.
    public var variants: [Variant] = []
    /// How many times each level runs. The default is 3.
    public var repetitions: Int = 3
    /// The evidence the report judges. The default is none.
    public var evidence: EvidenceSpec?
    /// Repetitions added until each level's CVs are known to a stated width. The default is none
    /// (exactly `repetitions`).
    public var precision: PrecisionSpec?
    /// What an hour of this machine costs, in US dollars: the report puts dollars per million
    /// output tokens beside tokens/s (`inferlab run --price-per-hour` overrides it). The default is
    /// none.
    public var pricePerHour: Double?

    public init(name: String, engine: EngineSpec) {
        self.name = name
        self.engine = engine
    }

    /// The most trials one file may expand to.
    public static let maximumTrials = 2000

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, study, engine, workload, probe, constraints, system, matrix, variants, repetitions
        case evidence, precision
        case pricePerHour = "price_per_hour"
    }

    /// Decodes and validates an experiment from YAML text.
    public static func parse(yaml: String) throws -> ExperimentSpec {
        let spec: ExperimentSpec
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigurationError(code: .syntax, field: "", message: "the experiment file is empty")
            }
            guard node.mapping != nil else {
                throw ConfigurationError(
                    code: .syntax, field: "", message: "expected a mapping at the top (name:, engine:, ...)")
            }
            spec = try YAMLDecoder().decode(ExperimentSpec.self, from: node)
        } catch let error as ConfigurationError {
            throw error
        } catch let error as DecodingError {
            throw Self.specError(error)
        } catch {
            throw ConfigurationError(
                code: .syntax, field: "", message: "not valid YAML: \(error)", cause: error)
        }
        try spec.validate()
        return spec
    }

    private static func specError(_ error: DecodingError) -> ConfigurationError {
        switch error {
        case .keyNotFound(let key, let context):
            return ConfigurationError(
                code: .missingField, field: ConfigurationPath.format(context.codingPath + [key]),
                message: "missing required field")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return ConfigurationError(
                code: .invalidValue, field: ConfigurationPath.format(context.codingPath),
                message: context.debugDescription,
                cause: error)
        @unknown default:
            return ConfigurationError(code: .invalidValue, field: "", message: String(describing: error))
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        name = try c.required("name")
        description = try c.scalar("description")
        study = try c.choice("study", StudyKind.self)
        guard let engine = try c.section("engine", EngineSpec.self) else {
            throw ConfigurationError(
                code: .missingField, field: "engine", message: "missing required field (e.g. {kind: inferlab})")
        }
        self.engine = engine
        workload = try c.section("workload", WorkloadBlock.self)?.configuration ?? workload
        probe = try c.section("probe", ProbeSpec.self) ?? probe
        constraints = try c.section("constraints", ConstraintSpec.self) ?? constraints
        system = try c.section("system", SystemSpec.self)
        matrix = try c.section("matrix", Matrix.self) ?? matrix
        let variantsKey = ConfigurationKey(stringValue: "variants")
        if c.contains(variantsKey) {
            guard var items = try? c.nestedUnkeyedContainer(forKey: variantsKey) else {
                throw ConfigurationError(
                    code: .invalidValue, field: "variants", message: "expected a list of {name: ..., <variable>: value}"
                )
            }
            while !items.isAtEnd { variants.append(try items.decode(Variant.self)) }
        }
        repetitions = try c.int("repetitions") ?? repetitions
        evidence = try c.section("evidence", EvidenceSpec.self)
        precision = try c.section("precision", PrecisionSpec.self)
        pricePerHour = try c.double("price_per_hour")
    }

    /// The experiment as JSON with sorted keys, for provenance.
    public func resolvedJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
