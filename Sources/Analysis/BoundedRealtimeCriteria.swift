import InferLabCore

/// The inputs of the bounded-realtime study's five success criteria.
public struct BoundedRealtimeInput: Sendable, Codable, Equatable {
    /// Per-token latency p99 (ms) of each identical repetition of the baseline configuration.
    public var p99PerRepetition: [Double]
    /// Peak RSS (bytes) of each identical repetition.
    public var peakRSSPerRepetition: [Double]
    /// The swept contention (e.g. background CPU load in %) and the latency measured at each.
    public var degradationLoad: [Double]
    public var degradationLatency: [Double]
    /// Per-token latency p99 of each repetition, per sampler (`greedy`, `top-k`, ...).
    public var p99PerRepetitionBySampler: [String: [Double]]
    /// The run's provenance (key -> value); empty values count as missing.
    public var provenance: [String: String]

    public init(
        p99PerRepetition: [Double], peakRSSPerRepetition: [Double], degradationLoad: [Double],
        degradationLatency: [Double], p99PerRepetitionBySampler: [String: [Double]], provenance: [String: String]
    ) {
        self.p99PerRepetition = p99PerRepetition
        self.peakRSSPerRepetition = peakRSSPerRepetition
        self.degradationLoad = degradationLoad
        self.degradationLatency = degradationLatency
        self.p99PerRepetitionBySampler = p99PerRepetitionBySampler
        self.provenance = provenance
    }

    private enum CodingKeys: String, CodingKey {
        case provenance
        case p99PerRepetition = "p99_per_repetition"
        case peakRSSPerRepetition = "peak_rss_per_repetition"
        case degradationLoad = "degradation_load"
        case degradationLatency = "degradation_latency"
        case p99PerRepetitionBySampler = "p99_per_repetition_by_sampler"
    }
}

/// One criterion's result: pass / fail with its figure.
public struct CriterionResult: Sendable, Codable, Equatable {
    public var id: String
    /// What is required, e.g. "CV of p99 across repetitions < 15 %".
    public var requirement: String
    /// The measured figure, e.g. "8.3 % (3 repetitions)"; says what is missing when not computable.
    public var figure: String
    /// The measured value in the criterion's unit (a fraction for CVs, R^2 for linearity), when
    /// it could be computed.
    public var value: Double?
    public var passed: Bool

    public init(id: String, requirement: String, figure: String, value: Double?, passed: Bool) {
        self.id = id
        self.requirement = requirement
        self.figure = figure
        self.value = value
        self.passed = passed
    }
}

/// The bounded-realtime study's five criteria, with documented thresholds.
public struct BoundedRealtimeCriteria: Sendable, Codable, Equatable {
    /// CV of per-token p99 across identical repetitions must be below this. The default is 0.15.
    public var maximumP99CV: Double = 0.15
    /// CV of peak RSS across identical repetitions must be below this. The default is 0.05.
    public var maximumRSSCV: Double = 0.05
    /// Degradation against the swept contention counts as linear when R^2 of the least-squares
    /// line is at least this. The default is 0.9: with four load levels (0/25/50/75 %) a
    /// straight line must explain nine tenths of the variance, which a knee (flat, then a jump)
    /// fails and measurement noise of a few percent on a real slope passes.
    public var minimumLinearR2: Double = 0.9
    /// The CVs of p99 of the samplers may differ by less than this (in CV points). The default
    /// is 0.05.
    public var maximumSamplerCVDifference: Double = 0.05
    /// Provenance keys that must be present and non-empty. The default lists the issue's set.
    public var requiredProvenance: [String] = BoundedRealtimeCriteria.defaultProvenanceKeys

    /// The provenance every run records.
    public static let defaultProvenanceKeys = [
        "inferlab_commit", "llama_cpp_commit", "model_sha256", "kernel", "cpu_model", "cpu_flags",
        "cgroup_version", "experiment", "start_time", "end_time",
    ]

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case maximumP99CV = "maximum_p99_cv"
        case maximumRSSCV = "maximum_rss_cv"
        case minimumLinearR2 = "minimum_linear_r2"
        case maximumSamplerCVDifference = "maximum_sampler_cv_difference"
        case requiredProvenance = "required_provenance"
    }

    /// Evaluates the five criteria; a criterion whose figure cannot be computed (too few
    /// repetitions, fewer than three load levels, fewer than two samplers) fails and says why.
    public func evaluate(_ input: BoundedRealtimeInput) -> [CriterionResult] {
        [
            cvCriterion(
                id: "p99_cv", what: "CV of per-token p99 across repetitions", values: input.p99PerRepetition,
                limit: maximumP99CV),
            cvCriterion(
                id: "rss_cv", what: "CV of peak RSS across repetitions", values: input.peakRSSPerRepetition,
                limit: maximumRSSCV),
            linearity(input),
            samplers(input),
            provenance(input),
        ]
    }

    private func percent(_ fraction: Double) -> String { "\(MetricUnit.number(fraction * 100)) %" }

    private func cvCriterion(id: String, what: String, values: [Double], limit: Double) -> CriterionResult {
        let requirement = "\(what) < \(percent(limit))"
        guard let cv = Statistics.coefficientOfVariation(values) else {
            return CriterionResult(
                id: id, requirement: requirement, figure: "not computable (\(values.count) repetitions, need 2)",
                value: nil, passed: false)
        }
        return CriterionResult(
            id: id, requirement: requirement, figure: "\(percent(cv)) (\(values.count) repetitions)", value: cv,
            passed: cv < limit)
    }

    private func linearity(_ input: BoundedRealtimeInput) -> CriterionResult {
        let requirement = "degradation linear in contention: R^2 >= \(MetricUnit.number(minimumLinearR2))"
        guard input.degradationLoad.count >= 3,
            let fit = LinearFit.fit(x: input.degradationLoad, y: input.degradationLatency)
        else {
            return CriterionResult(
                id: "degradation_linear", requirement: requirement,
                figure: "not computable (\(input.degradationLoad.count) load levels, need 3)", value: nil,
                passed: false)
        }
        let figure =
            "R^2 = \(MetricUnit.number(fit.rSquared)), slope \(MetricUnit.number(fit.slope)) per unit of load "
            + "(\(fit.count) points)"
        return CriterionResult(
            id: "degradation_linear", requirement: requirement, figure: figure, value: fit.rSquared,
            passed: fit.rSquared >= minimumLinearR2)
    }

    private func samplers(_ input: BoundedRealtimeInput) -> CriterionResult {
        let requirement = "CV difference between samplers < \(percent(maximumSamplerCVDifference))"
        let cvs = input.p99PerRepetitionBySampler.sorted { $0.key < $1.key }
            .compactMap { entry in Statistics.coefficientOfVariation(entry.value).map { (entry.key, $0) } }
        guard cvs.count >= 2, let low = cvs.min(by: { $0.1 < $1.1 }), let high = cvs.max(by: { $0.1 < $1.1 })
        else {
            return CriterionResult(
                id: "sampler_cv_difference", requirement: requirement,
                figure: "not computable (\(cvs.count) samplers with 2+ repetitions, need 2)", value: nil,
                passed: false)
        }
        let difference = high.1 - low.1
        let figure =
            "\(percent(difference)) (\(high.0) \(percent(high.1)) vs \(low.0) \(percent(low.1)), "
            + "\(cvs.count) samplers)"
        return CriterionResult(
            id: "sampler_cv_difference", requirement: requirement, figure: figure, value: difference,
            passed: difference < maximumSamplerCVDifference)
    }

    private func provenance(_ input: BoundedRealtimeInput) -> CriterionResult {
        let missing = requiredProvenance.filter { (input.provenance[$0] ?? "").isEmpty }
        let present = requiredProvenance.count - missing.count
        let figure =
            missing.isEmpty
            ? "\(present)/\(requiredProvenance.count) fields"
            : "\(present)/\(requiredProvenance.count) fields; missing \(missing.joined(separator: ", "))"
        return CriterionResult(
            id: "provenance", requirement: "full provenance recorded", figure: figure,
            value: Double(present) / Double(max(requiredProvenance.count, 1)), passed: missing.isEmpty)
    }
}
