extension ExperimentSpec {
    /// Checks every field and the rules between fields; throws a `SpecError` naming the first
    /// bad field. `parse(yaml:)` calls it.
    public func validate() throws {
        let nameIsValid =
            !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if !nameIsValid {
            throw SpecError.invalid("name", expected: "1 to 64 letters, digits, '-', '_' or '.'", got: name)
        }
        try engine.validate()
        try workload.validate()
        try probe.validate()
        try constraints.validate()
        try system?.validate()
        try evidence?.validate()
        if !(1...100).contains(repetitions) {
            throw SpecError.invalid("repetitions", expected: "a repetition count from 1 to 100", got: "\(repetitions)")
        }
        try validateVariants()
        try validateSweeps()
        let levelCount = max(variants.count, 1) * matrix.combinations.count
        if levelCount * repetitions > Self.maximumTrials {
            throw SpecError(
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
                    throw SpecError(
                        code: .invalidValue, field: "evidence.comparisons[\(index)].\(side)",
                        message:
                            "no level or variant named \(SpecError.quoted(name)); levels: \(names.sorted().joined(separator: ", "))"
                    )
                }
            }
        }
        if evidence != nil && levelCount < 2 {
            throw SpecError(
                code: .invalidValue, field: "evidence",
                message: "needs at least two levels (matrix or variants) to compare before and after")
        }
        for trial in trials() where trial.repetition == 1 {
            try validateCombination(trial)
        }
    }

    private func validateVariants() throws {
        var names: Set<String> = []
        let swept = Set(matrix.entries.map(\.variable))
        for (index, variant) in variants.enumerated() {
            if variant.name.isEmpty {
                throw SpecError.invalid("variants[\(index)].name", expected: "a non-empty name", got: variant.name)
            }
            if !names.insert(variant.name).inserted {
                throw SpecError(
                    code: .invalidValue, field: "variants[\(index)].name",
                    message: "duplicate variant \(SpecError.quoted(variant.name))")
            }
            for setting in variant.settings where swept.contains(setting.variable) {
                throw SpecError(
                    code: .conflict, field: "variants[\(index)].\(setting.variable.rawValue)",
                    message: "also swept in matrix.\(setting.variable.rawValue); set it in one place")
            }
        }
    }

    /// Variables that make no sense for the engine kind or scenario.
    private func validateSweeps() throws {
        var places: [(String, MatrixVariable)] = matrix.entries.map { ("matrix.\($0.variable.rawValue)", $0.variable) }
        for (index, variant) in variants.enumerated() {
            places += variant.settings.map { ("variants[\(index)].\($0.variable.rawValue)", $0.variable) }
        }
        for (field, variable) in places {
            let inferlabOnly: Set<MatrixVariable> = [.scheduler, .prefixCache, .maxQueue]
            let launchOnly: Set<MatrixVariable> = [
                .threads, .ctx, .model, .quantization, .loadMode, .cpuQuota, .memoryMax, .memoryHigh, .cpus, .start,
            ]
            if inferlabOnly.contains(variable) && engine.kind != .inferlab {
                throw SpecError(
                    code: .conflict, field: field,
                    message: "only applies to engine kind inferlab, not \(engine.kind.rawValue)")
            }
            if variable == .concurrency && engine.kind == .generate {
                throw SpecError(
                    code: .conflict, field: field,
                    message: "engine kind generate runs one stream; sweep it with a server engine")
            }
            if launchOnly.contains(variable) && engine.kind == .external {
                throw SpecError(
                    code: .conflict, field: field,
                    message: "cannot be controlled for engine kind external (InferLab does not launch it)")
            }
        }
    }

    /// Rules that depend on the effective values of one level.
    private func validateCombination(_ trial: Trial) throws {
        let config = trial.config
        let where_ = trial.label == "baseline" ? "" : " (level \(trial.label))"
        if config.workload.scenario == .poisson && config.workload.rate == nil {
            throw SpecError(
                code: .missingField, field: "workload.rate", message: "required for scenario poisson\(where_)")
        }
        if config.workload.scenario != .poisson {
            for (set, name) in [
                (config.workload.rate != nil, "rate"), (config.workload.burstiness != nil, "burstiness"),
            ] where set {
                var field = "workload.\(name)"
                if name == "rate" && matrix.entries.contains(where: { $0.variable == .rate }) {
                    field = "matrix.rate"
                } else if name == "rate",
                    let index = variants.firstIndex(where: { $0.settings.contains { $0.variable == .rate } })
                {
                    field = "variants[\(index)].rate"
                }
                throw SpecError(
                    code: .conflict, field: field,
                    message: "only applies to scenario poisson, not \(config.workload.scenario.rawValue)\(where_)")
            }
        }
        if engine.kind == .generate && config.workload.concurrency != 1 {
            throw SpecError(
                code: .conflict, field: "workload.concurrency",
                message: "engine kind generate runs one stream; use 1\(where_)")
        }
        if let cpus = config.constraints.cpus, let list = SpecParse.cpuList(cpus), list.count < config.engine.threads,
            engine.kind != .external
        {
            // Allowed but worth refusing: more threads than CPUs makes llama.cpp's barriers spin.
            if config.engine.threads > list.count * 4 {
                throw SpecError(
                    code: .conflict, field: "engine.threads",
                    message:
                        "\(config.engine.threads) threads on \(list.count) CPU(s)\(where_) is oversubscribed beyond 4x")
            }
        }
        if let high = config.constraints.memoryHigh, let max = config.constraints.memoryMax, high > max {
            throw SpecError(
                code: .conflict, field: "constraints.memory_high",
                message:
                    "memory_high (\(MatrixValue.bytes(high))) is above memory_max (\(MatrixValue.bytes(max)))\(where_)")
        }
    }
}
