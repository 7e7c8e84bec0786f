import InferLabCore
import LoadGen

extension ExperimentSpec {
    /// Checks every field and the rules between fields; throws a `ConfigurationError` naming the first
    /// bad field. `parse(yaml:)` calls it.
    public func validate() throws {
        let nameIsValid =
            !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if !nameIsValid {
            throw ConfigurationError.invalid("name", expected: "1 to 64 letters, digits, '-', '_' or '.'", got: name)
        }
        try engine.validate()
        try probe.validate()
        try constraints.validate()
        try system?.validate()
        try evidence?.validate()
        if !(1...100).contains(repetitions) {
            throw ConfigurationError.invalid(
                "repetitions", expected: "a repetition count from 1 to 100", got: "\(repetitions)")
        }
        try precision?.validate(repetitions: repetitions)
        if let pricePerHour, !(pricePerHour > 0 && pricePerHour.isFinite) {
            throw ConfigurationError.invalid(
                "price_per_hour", expected: "US dollars per hour above 0", got: "\(pricePerHour)")
        }
        try validateVariants()
        try validateSweeps()
        let levelCount = max(variants.count, 1) * matrix.combinations.count
        if levelCount * repetitions > Self.maximumTrials {
            throw ConfigurationError(
                code: .invalidValue, field: "matrix",
                message:
                    "expands to \(levelCount * repetitions) trials (\(levelCount) levels x \(repetitions) repetitions); "
                    + "the limit is \(Self.maximumTrials)")
        }
        if let evidence {
            let names = Set(variants.map(\.name) + trials().filter { $0.repetition == 1 }.map(\.label))
            for (index, comparison) in evidence.comparisons.enumerated() {
                for (side, name) in [("before", comparison.before), ("after", comparison.after)]
                where !names.contains(name) {
                    throw ConfigurationError(
                        code: .invalidValue, field: "evidence.comparisons[\(index)].\(side)",
                        message:
                            "no level or variant named \(ConfigurationError.quoted(name)); levels: \(names.sorted().joined(separator: ", "))"
                    )
                }
            }
        }
        if evidence != nil && levelCount < 2 {
            throw ConfigurationError(
                code: .invalidValue, field: "evidence",
                message: "needs at least two levels (matrix or variants) to compare before and after")
        }
        let configs = try levelConfigs()
        for (trial, config) in zip(trials().filter { $0.repetition == 1 }, configs) {
            try validateCombination(trial, config)
        }
    }

    private func validateVariants() throws {
        var names: Set<String> = []
        let swept = Set(matrix.entries.map(\.variable))
        for (index, variant) in variants.enumerated() {
            if variant.name.isEmpty {
                throw ConfigurationError.invalid(
                    "variants[\(index)].name", expected: "a non-empty name", got: variant.name)
            }
            if !names.insert(variant.name).inserted {
                throw ConfigurationError(
                    code: .invalidValue, field: "variants[\(index)].name",
                    message: "duplicate variant \(ConfigurationError.quoted(variant.name))")
            }
            for setting in variant.settings where swept.contains(setting.variable) {
                throw ConfigurationError(
                    code: .conflict, field: "variants[\(index)].\(setting.variable)",
                    message: "also swept in matrix.\(setting.variable); set it in one place")
            }
        }
    }

    /// Each matrix value on its own, and each variant's settings together: the block decodes and
    /// validates with them, or the error names the matrix or variant field (`matrix.ctx[1]`) when
    /// it is about that variable (a rule between two knobs is left to the level it applies to);
    /// and variables that make no sense for the engine kind.
    private func validateSweeps() throws {
        var places: [(fields: [String: String], settings: [Setting])] = []
        for entry in matrix.entries {
            for (index, value) in entry.values.enumerated() {
                places.append(
                    ([entry.variable: "matrix.\(entry.variable)[\(index)]"], [Setting(entry.variable, value)]))
            }
        }
        for (index, variant) in variants.enumerated() {
            let fields = Dictionary(
                variant.settings.map { ($0.variable, "variants[\(index)].\($0.variable)") }, uniquingKeysWith: { $1 })
            places.append((fields, variant.settings))
        }
        let base = TrialConfig(engine: engine, workload: workload, constraints: constraints)
        for (fields, settings) in places {
            if engine.kind == .generate, let field = fields["concurrency"] {
                throw ConfigurationError(
                    code: .conflict, field: field,
                    message: "engine kind generate runs one stream; sweep it with a server engine")
            }
            do {
                let config = try base.applying(settings)
                try config.engine.validate()
                try Self.validateWorkload(config.workload)
                try config.constraints.validate()
            } catch let error as ConfigurationError {
                // The block's own message, at the place the value was written.
                let variable = error.field.split(separator: ".").last.map(String.init) ?? error.field
                guard let field = fields[variable] else { continue }
                throw ConfigurationError(code: error.code, field: field, message: error.message, cause: error.cause)
            }
        }
    }

    /// Rules that depend on the effective values of one level.
    private func validateCombination(_ trial: Trial, _ config: TrialConfig) throws {
        let where_ = trial.label == "baseline" ? "" : " (level \(trial.label))"
        if config.workload.scenario == .poisson && config.workload.rate == nil {
            throw ConfigurationError(
                code: .missingField, field: "workload.rate", message: "required for scenario poisson\(where_)")
        }
        if config.workload.scenario != .poisson {
            for (set, name) in [
                (config.workload.rate != nil, "rate"), (config.workload.burstiness != 1, "burstiness"),
            ] where set {
                var field = "workload.\(name)"
                if name == "rate" && matrix.entries.contains(where: { $0.variable == "rate" }) {
                    field = "matrix.rate"
                } else if name == "rate",
                    let index = variants.firstIndex(where: { $0.settings.contains { $0.variable == "rate" } })
                {
                    field = "variants[\(index)].rate"
                }
                throw ConfigurationError(
                    code: .conflict, field: field,
                    message: "only applies to scenario poisson, not \(config.workload.scenario.rawValue)\(where_)")
            }
        }
        do {
            try Self.validateWorkload(config.workload)
        } catch let error as ConfigurationError {
            throw ConfigurationError(code: error.code, field: error.field, message: error.message + where_)
        }
        if engine.kind == .generate && config.workload.concurrency != 1 {
            throw ConfigurationError(
                code: .conflict, field: "workload.concurrency",
                message: "engine kind generate runs one stream; use 1\(where_)")
        }
        do {
            try config.engine.validate()
        } catch let error as ConfigurationError {
            throw ConfigurationError(code: error.code, field: error.field, message: error.message + where_)
        }
        let threads = config.engine.server.engine.context.threads
        if let cpus = config.constraints.cpus, let list = ScalarText.cpuList(cpus), list.count < threads,
            engine.kind != .external
        {
            // Allowed but worth refusing: more threads than CPUs makes llama.cpp's barriers spin.
            if threads > list.count * 4 {
                throw ConfigurationError(
                    code: .conflict, field: "engine.threads",
                    message: "\(threads) threads on \(list.count) CPU(s)\(where_) is oversubscribed beyond 4x")
            }
        }
        if let high = config.constraints.memoryHigh, let max = config.constraints.memoryMax, high > max {
            throw ConfigurationError(
                code: .conflict, field: "constraints.memory_high",
                message:
                    "memory_high (\(SpecFormat.size(high))) is above memory_max (\(SpecFormat.size(max)))\(where_)")
        }
    }

    /// The load generator's own checks, at the block's path, and the two an experiment adds: a
    /// trial's window is bounded by a request count or a duration, and a trial is one window
    /// (sweep with the matrix, not the `sweep` scenario).
    static func validateWorkload(_ workload: BenchConfiguration) throws {
        if workload.requests != nil && workload.durationSeconds != nil {
            throw ConfigurationError(
                code: .conflict, field: "workload.duration_s", message: "give either requests or duration_s, not both")
        }
        if workload.scenario == .sweep {
            throw ConfigurationError(
                code: .conflict, field: "workload.scenario",
                message: "a trial is one window: sweep concurrencies or rates with the matrix, not the sweep scenario")
        }
        do {
            try workload.validate()
        } catch {
            throw error.under("workload")
        }
    }
}
