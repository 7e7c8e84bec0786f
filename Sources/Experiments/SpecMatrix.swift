/// A variable the matrix (or a variant) can sweep. Raw values are the YAML keys.
public enum MatrixVariable: String, Sendable, Codable, CaseIterable {
    case threads, ctx, concurrency, rate, scheduler, model, quantization, cpus, start, sampler, scenario
    case promptClass = "prompt_class"
    case maxTokens = "max_tokens"
    case loadMode = "load_mode"
    case cpuQuota = "cpu_quota"
    case memoryMax = "memory_max"
    case memoryHigh = "memory_high"
    case backgroundLoad = "background_load"
    case prefixCache = "prefix_cache"
    case maxQueue = "max_queue"
}

/// One value of a swept variable, parsed and typed.
public enum MatrixValue: Sendable, Hashable, CustomStringConvertible {
    /// No control (`none`): no quota, no limit, no affinity.
    case none
    case integer(Int)
    case number(Double)
    case bytes(Int64)
    case word(String)
    case flag(Bool)

    /// The value as a label: `none`, `4`, `1.5`, `300M`, `continuous`, `on`.
    public var description: String {
        switch self {
        case .none: "none"
        case .integer(let value): "\(value)"
        case .number(let value): SpecFormat.number(value)
        case .bytes(let value): Self.sizeLabel(value)
        case .word(let value): value
        case .flag(let value): value ? "on" : "off"
        }
    }

    static func sizeLabel(_ bytes: Int64) -> String {
        for (suffix, unit) in [("G", Int64(1) << 30), ("M", Int64(1) << 20), ("K", Int64(1) << 10)]
        where bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)"
    }
}

extension MatrixValue: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, value
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "none": self = .none
        case "integer": self = .integer(try c.decode(Int.self, forKey: .value))
        case "number": self = .number(try c.decode(Double.self, forKey: .value))
        case "bytes": self = .bytes(try c.decode(Int64.self, forKey: .value))
        case "flag": self = .flag(try c.decode(Bool.self, forKey: .value))
        default: self = .word(try c.decode(String.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none: try c.encode("none", forKey: .type)
        case .integer(let value): try c.encode("integer", forKey: .type); try c.encode(value, forKey: .value)
        case .number(let value): try c.encode("number", forKey: .type); try c.encode(value, forKey: .value)
        case .bytes(let value): try c.encode("bytes", forKey: .type); try c.encode(value, forKey: .value)
        case .word(let value): try c.encode("word", forKey: .type); try c.encode(value, forKey: .value)
        case .flag(let value): try c.encode("flag", forKey: .type); try c.encode(value, forKey: .value)
        }
    }
}

extension MatrixVariable {
    /// Parses the YAML text of one value, or throws naming `field` and what was expected.
    public func parse(_ text: String, field: String) throws -> MatrixValue {
        func integer(_ range: ClosedRange<Int>, _ expected: String) throws -> MatrixValue {
            guard let value = SpecParse.int(text), range.contains(value) else {
                throw SpecError.invalid(field, expected: expected, got: text)
            }
            return .integer(value)
        }
        func word<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws -> MatrixValue where E.RawValue == String {
            guard let value = SpecParse.choice(text, type) else {
                throw SpecError.invalid(field, expected: SpecParse.oneOf(type), got: text)
            }
            return .word(value.rawValue)
        }
        func size() throws -> MatrixValue {
            if SpecParse.isNone(text) { return .none }
            guard let bytes = SpecParse.bytes(text), bytes >= 1 << 20 else {
                throw SpecError.invalid(
                    field, expected: "a size of at least 1M such as 300M or 1G, or \"none\"", got: text)
            }
            return .bytes(bytes)
        }
        switch self {
        case .threads: return try integer(1...256, "a thread count >= 1")
        case .ctx: return try integer(128...1_048_576, "a context size in tokens, 128 or more")
        case .concurrency: return try integer(1...4096, "a concurrency >= 1")
        case .maxTokens: return try integer(1...131_072, "an output token count >= 1")
        case .maxQueue: return try integer(1...1_000_000, "a queue length >= 1")
        case .rate:
            guard let value = SpecParse.double(text), value > 0 else {
                throw SpecError.invalid(field, expected: "a rate in requests/s > 0", got: text)
            }
            return .number(value)
        case .cpuQuota:
            if SpecParse.isNone(text) { return .none }
            guard let value = SpecParse.double(text), value > 0, value <= 4096 else {
                throw SpecError.invalid(field, expected: "a number of cores > 0 or \"none\"", got: text)
            }
            return .number(value)
        case .backgroundLoad:
            guard let value = SpecParse.double(text), (0...100).contains(value) else {
                throw SpecError.invalid(field, expected: "a percentage from 0 to 100", got: text)
            }
            return .number(value)
        case .memoryMax, .memoryHigh: return try size()
        case .cpus:
            if SpecParse.isNone(text) || text.lowercased() == "all" { return .none }
            guard SpecParse.cpuList(text) != nil else {
                throw SpecError.invalid(
                    field, expected: "a CPU list such as 0, 0-1 or 0,2 (quote lists with commas), or \"none\"",
                    got: text)
            }
            return .word(text.filter { !$0.isWhitespace })
        case .model:
            guard !text.isEmpty else { throw SpecError.invalid(field, expected: "a model name or path", got: text) }
            return .word(text)
        case .prefixCache:
            guard let value = SpecParse.bool(text) else {
                throw SpecError.invalid(field, expected: "on or off", got: text)
            }
            return .flag(value)
        case .promptClass: return try word(PromptClass.self)
        case .scheduler: return try word(SchedulerKind.self)
        case .quantization: return try word(Quantization.self)
        case .loadMode: return try word(LoadMode.self)
        case .start: return try word(StartMode.self)
        case .sampler: return try word(SamplerKind.self)
        case .scenario: return try word(ScenarioKind.self)
        }
    }

    /// Sets this variable to `value` in a trial's configuration (the value came from `parse`).
    public func apply(_ value: MatrixValue, to config: inout TrialConfig) {
        let int: Int? = if case .integer(let v) = value { v } else { nil }
        let number: Double? = if case .number(let v) = value { v } else { nil }
        let bytes: Int64? = if case .bytes(let v) = value { v } else { nil }
        let word: String? = if case .word(let v) = value { v } else { nil }
        switch self {
        case .threads: config.engine.threads = int ?? config.engine.threads
        case .ctx: config.engine.ctx = int ?? config.engine.ctx
        case .concurrency: config.workload.concurrency = int ?? config.workload.concurrency
        case .maxTokens: config.workload.maxTokens = int ?? config.workload.maxTokens
        case .maxQueue: config.engine.maxQueue = int
        case .rate: config.workload.rate = number
        case .cpuQuota: config.constraints.cpuQuota = number
        case .backgroundLoad: config.constraints.backgroundLoad = number ?? 0
        case .memoryMax: config.constraints.memoryMax = bytes
        case .memoryHigh: config.constraints.memoryHigh = bytes
        case .cpus: config.constraints.cpus = word
        case .model: config.engine.model = word ?? config.engine.model
        case .prefixCache: if case .flag(let on) = value { config.engine.prefixCache = on }
        case .promptClass: config.workload.promptClass = word.flatMap(PromptClass.init) ?? config.workload.promptClass
        case .scheduler: config.engine.scheduler = word.flatMap(SchedulerKind.init) ?? config.engine.scheduler
        case .quantization: config.engine.quantization = word.flatMap(Quantization.init) ?? config.engine.quantization
        case .loadMode: config.engine.loadMode = word.flatMap(LoadMode.init) ?? config.engine.loadMode
        case .start: config.constraints.start = word.flatMap(StartMode.init) ?? config.constraints.start
        case .sampler: config.workload.sampler = word.flatMap(SamplerKind.init) ?? config.workload.sampler
        case .scenario: config.workload.scenario = word.flatMap(ScenarioKind.init) ?? config.workload.scenario
        }
    }
}

/// One assignment `variable = value`.
public struct Setting: Sendable, Codable, Hashable, CustomStringConvertible {
    public var variable: MatrixVariable
    public var value: MatrixValue

    public init(_ variable: MatrixVariable, _ value: MatrixValue) {
        self.variable = variable
        self.value = value
    }

    public var description: String { "\(variable.rawValue)=\(value)" }
}

/// The `matrix:` block: variables and their values, in file order; trials cover the product.
public struct Matrix: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var variable: MatrixVariable
        public var values: [MatrixValue]

        public init(variable: MatrixVariable, values: [MatrixValue]) {
            self.variable = variable
            self.values = values
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.specContainer(allowed: MatrixVariable.allCases.map(\.rawValue))
        entries = []
        for key in c.allKeys {
            let variable = MatrixVariable(rawValue: key.stringValue)!
            let texts = try c.scalarList(key.stringValue) ?? []
            if texts.isEmpty {
                throw SpecError(
                    code: .invalidValue, field: c.path(key.stringValue), message: "expected at least one value")
            }
            var values: [MatrixValue] = []
            for (index, text) in texts.enumerated() {
                let value = try variable.parse(text, field: "\(c.path(key.stringValue))[\(index)]")
                if values.contains(value) {
                    throw SpecError(
                        code: .invalidValue, field: "\(c.path(key.stringValue))[\(index)]",
                        message: "duplicate value \(value)")
                }
                values.append(value)
            }
            entries.append(Entry(variable: variable, values: values))
        }
    }

    /// Encodes as the file writes it: `variable: [value, ...]` in order.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        for entry in entries {
            try c.encode(entry.values.map(\.description), forKey: SpecKey(stringValue: entry.variable.rawValue))
        }
    }

    /// Every combination, the last variable varying fastest; one empty combination when the
    /// matrix is empty.
    public var combinations: [[Setting]] {
        entries.reduce([[]]) { partial, entry in
            partial.flatMap { prefix in entry.values.map { prefix + [Setting(entry.variable, $0)] } }
        }
    }
}

/// One named configuration among `variants:` (e.g. baseline, pinned, mlock), each a set of
/// settings; the trials cover variants x matrix.
public struct Variant: Sendable, Codable, Equatable {
    public var name: String
    public var settings: [Setting]

    public init(name: String, settings: [Setting]) {
        self.name = name
        self.settings = settings
    }

    /// Encodes as the file writes it: `{name: ..., variable: value}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(name, forKey: SpecKey(stringValue: "name"))
        for setting in settings {
            try c.encode(setting.value.description, forKey: SpecKey(stringValue: setting.variable.rawValue))
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.specContainer(allowed: ["name"] + MatrixVariable.allCases.map(\.rawValue))
        name = try c.required("name")
        settings = []
        for key in c.allKeys where key.stringValue != "name" {
            let variable = MatrixVariable(rawValue: key.stringValue)!
            guard let text = try c.scalar(key.stringValue) else {
                throw SpecError(
                    code: .invalidValue, field: c.path(key.stringValue), message: "expected a value, got null")
            }
            settings.append(Setting(variable, try variable.parse(text, field: c.path(key.stringValue))))
        }
    }
}
