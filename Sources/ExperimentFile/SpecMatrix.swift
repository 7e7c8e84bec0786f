import InferLabCore
import InferenceCore

/// The blocks a matrix or variant setting can reach, each with the keys it accepts.
public enum SpecSection: String, Sendable, CaseIterable {
    case engine, workload, constraints

    /// The keys a setting may sweep in this block (`kind` is not swept: it decides which keys apply).
    public var keys: [String] {
        switch self {
        case .engine: EngineSpec.settableKeys.filter { $0 != "kind" }
        case .workload: WorkloadBlock.settableKeys
        case .constraints: ConstraintSpec.CodingKeys.allCases.map(\.rawValue)
        }
    }

    /// The block a variable belongs to (the blocks' keys are disjoint, a test holds them so).
    public static func of(_ variable: String) -> SpecSection? {
        allCases.first { $0.keys.contains(variable) }
    }

    /// Every variable a matrix or variant may set.
    public static var variables: [String] { allCases.flatMap(\.keys) }
}

/// One assignment `variable = value`: a key of the `engine:`, `workload:` or `constraints:` block
/// and the text of its value, applied by decoding that block again with it (so a setting is
/// checked by the same decoder and `validate()` as the block itself).
public struct Setting: Sendable, Codable, Hashable, CustomStringConvertible {
    public var variable: String
    /// The value as written, numbers without a trailing `.0` (`1.0` is `1`).
    public var value: String

    public init(_ variable: String, _ value: String) {
        self.variable = variable
        self.value = Self.normalized(value)
    }

    public var description: String { "\(variable)=\(value)" }

    static func normalized(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let number = Double(trimmed), number.isFinite else { return trimmed }
        return SpecFormat.number(number)
    }
}

/// The `matrix:` block: variables and their values, in file order; trials cover the product.
public struct Matrix: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var variable: String
        public var values: [String]

        public init(variable: String, values: [String]) {
            self.variable = variable
            self.values = values.map(Setting.normalized)
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: SpecSection.variables)
        entries = []
        for key in c.allKeys {
            let texts = try c.scalarList(key.stringValue) ?? []
            if texts.isEmpty {
                throw ConfigurationError(
                    code: .invalidValue, field: c.path(key.stringValue), message: "expected at least one value")
            }
            let entry = Entry(variable: key.stringValue, values: texts)
            for (index, value) in entry.values.enumerated() where entry.values[..<index].contains(value) {
                throw ConfigurationError(
                    code: .invalidValue, field: "\(c.path(key.stringValue))[\(index)]",
                    message: "duplicate value \(value)")
            }
            entries.append(entry)
        }
    }

    /// Encodes as the file writes it: `variable: [value, ...]` in order.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ConfigurationKey.self)
        for entry in entries {
            try c.encode(entry.values, forKey: ConfigurationKey(stringValue: entry.variable))
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
        var c = encoder.container(keyedBy: ConfigurationKey.self)
        try c.encode(name, forKey: ConfigurationKey(stringValue: "name"))
        for setting in settings {
            try c.encode(setting.value, forKey: ConfigurationKey(stringValue: setting.variable))
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configurationContainer(allowed: ["name"] + SpecSection.variables)
        name = try c.required("name")
        settings = []
        for key in c.allKeys where key.stringValue != "name" {
            guard let text = try c.scalar(key.stringValue) else {
                throw ConfigurationError(
                    code: .invalidValue, field: c.path(key.stringValue), message: "expected a value, got null")
            }
            settings.append(Setting(key.stringValue, text))
        }
    }
}

extension TrialConfig {
    /// This configuration with `settings` applied, each block decoded again (and so checked) with
    /// its settings over its knobs. A level that sets `start: cold` records its first request: its
    /// warm-up is none unless the level sets `warmup` (or `warmup_s`) itself, since a warm-up would
    /// absorb the very cold start the level is there to measure.
    public func applying(_ settings: [Setting]) throws -> TrialConfig {
        func overrides(_ section: SpecSection) -> [(key: String, text: String)] {
            settings.filter { SpecSection.of($0.variable) == section }.map { ($0.variable, $0.value) }
        }
        var config = self
        if !overrides(.engine).isEmpty { config.engine = try FlatKnobs.applying(overrides(.engine), to: engine) }
        if !overrides(.workload).isEmpty {
            config.workload = try FlatKnobs.applying(overrides(.workload), to: workload)
        }
        if !overrides(.constraints).isEmpty {
            config.constraints = try FlatKnobs.applying(overrides(.constraints), to: constraints)
        }
        let setsWarmup = settings.contains { $0.variable == "warmup" || $0.variable == "warmup_s" }
        if settings.contains(where: { $0.variable == "start" }), config.constraints.start == .cold, !setsWarmup {
            config.workload.warmupRequests = 0
            config.workload.warmupSeconds = 0
        }
        return config
    }
}
