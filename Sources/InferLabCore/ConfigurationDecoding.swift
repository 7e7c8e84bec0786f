import Foundation

/// Decoding helpers shared by every configuration read from a file (an experiment's YAML, a
/// `serve --config` file, a run's stored configuration): every scalar is read as its raw text and
/// parsed here, so a bad value is reported with its field path and the text the user wrote, and
/// unknown keys are refused. YAML gives scalars as text, JSON gives typed values: both decode.
public struct ConfigurationKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int?

    public init(stringValue: String) {
        self.stringValue = stringValue
    }

    public init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

public enum ConfigurationPath {
    /// `matrix.cpu_quota[2]` from a coding path.
    public static func format(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}

extension Decoder {
    /// A keyed container that refuses keys outside `allowed`, naming the first unknown one.
    public func configurationContainer(allowed: [String]) throws -> KeyedDecodingContainer<ConfigurationKey> {
        let container: KeyedDecodingContainer<ConfigurationKey>
        do {
            container = try self.container(keyedBy: ConfigurationKey.self)
        } catch is DecodingError {
            // The user's message; other errors pass through untouched, since a decoder may try one
            // form after another on them (GRDB reads a column as a value, then as JSON).
            throw DecodingError.typeMismatch(
                [String: String].self,
                DecodingError.Context(
                    codingPath: codingPath,
                    debugDescription: "expected a mapping of keys to values (\(allowed.joined(separator: ", ")))"))
        }
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let field = ConfigurationPath.format(codingPath + [key])
            throw ConfigurationError(
                code: .unknownField, field: field,
                message:
                    "unknown key \(ConfigurationError.quoted(key.stringValue)); known keys: \(allowed.joined(separator: ", "))"
            )
        }
        return container
    }
}

extension KeyedDecodingContainer where Key == ConfigurationKey {
    public func path(_ name: String) -> String {
        ConfigurationPath.format(codingPath + [ConfigurationKey(stringValue: name)])
    }

    /// The raw text of a scalar, or `nil` when the key is absent or null.
    public func scalar(_ name: String) throws -> String? {
        let key = ConfigurationKey(stringValue: name)
        guard contains(key) else { return nil }
        if (try? decodeNil(forKey: key)) == true { return nil }
        // YAML gives every scalar as text; JSON (a resolved spec read back) gives typed values.
        if let text = try? decode(String.self, forKey: key) { return text }
        if let int = try? decode(Int.self, forKey: key) { return "\(int)" }
        if let number = try? decode(Double.self, forKey: key) { return "\(number)" }
        if let flag = try? decode(Bool.self, forKey: key) { return flag ? "true" : "false" }
        do {
            return try decode(String.self, forKey: key)
        } catch {
            throw ConfigurationError(
                code: .invalidValue, field: path(name), message: "expected a single value, got a list or mapping")
        }
    }

    public func required(_ name: String) throws -> String {
        guard let value = try scalar(name) else {
            throw ConfigurationError(code: .missingField, field: path(name), message: "missing required field")
        }
        return value
    }

    public func int(_ name: String) throws -> Int? {
        guard let text = try scalar(name) else { return nil }
        guard let value = ScalarText.int(text) else {
            throw ConfigurationError.invalid(path(name), expected: "an integer", got: text)
        }
        return value
    }

    public func double(_ name: String) throws -> Double? {
        guard let text = try scalar(name) else { return nil }
        guard let value = ScalarText.double(text) else {
            throw ConfigurationError.invalid(path(name), expected: "a number", got: text)
        }
        return value
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let text = try scalar(name) else { return nil }
        guard let value = ScalarText.bool(text) else {
            throw ConfigurationError.invalid(path(name), expected: "true or false", got: text)
        }
        return value
    }

    public func choice<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws -> E?
    where E.RawValue == String {
        guard let text = try scalar(name) else { return nil }
        guard let value = ScalarText.choice(text, type) else {
            throw ConfigurationError.invalid(path(name), expected: ScalarText.oneOf(type), got: text)
        }
        return value
    }

    /// A list of scalars (a single scalar is refused: write `[x]`).
    public func scalarList(_ name: String) throws -> [String]? {
        let key = ConfigurationKey(stringValue: name)
        guard contains(key) else { return nil }
        guard var list = try? nestedUnkeyedContainer(forKey: key) else {
            throw ConfigurationError(code: .invalidValue, field: path(name), message: "expected a list, e.g. [a, b]")
        }
        var values: [String] = []
        while !list.isAtEnd {
            let index = list.currentIndex
            guard let value = (try? list.decode(String.self)) ?? (try? list.decode(Double.self)).map({ "\($0)" }) else {
                throw ConfigurationError(
                    code: .invalidValue, field: "\(path(name))[\(index)]",
                    message: "expected a single value, got a list or mapping")
            }
            values.append(value)
        }
        return values
    }

    /// A nested section decoded by its own `init(from:)`.
    public func section<T: Decodable>(_ name: String, _ type: T.Type) throws -> T? {
        let key = ConfigurationKey(stringValue: name)
        guard contains(key), (try? decodeNil(forKey: key)) != true else { return nil }
        return try decode(type, forKey: key)
    }
}

/// Parsers of the scalar forms experiment files use.
public enum ScalarText {
    public static func int(_ text: String) -> Int? {
        Int(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: ""))
    }

    public static func double(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        guard let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    public static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    public static func choice<E: RawRepresentable & CaseIterable>(_ text: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        let normalized = text.lowercased().replacingOccurrences(of: "_", with: "-")
        return E.allCases.first { $0.rawValue.lowercased().replacingOccurrences(of: "_", with: "-") == normalized }
    }

    public static func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> String where E.RawValue == String {
        "one of " + E.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// Bytes from `268435456`, `300M`, `1.5G`, `512MiB` (binary units: K = 1024).
    public static func bytes(_ text: String) -> Int64? {
        var number = text.trimmingCharacters(in: .whitespaces).uppercased()
        if number.hasSuffix("IB") { number.removeLast(2) } else if number.hasSuffix("B") { number.removeLast() }
        var multiplier: Double = 1
        if let last = number.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            multiplier = pow1024(power)
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        let bytes = value * multiplier
        guard bytes < 9e18 else { return nil }
        return Int64(bytes.rounded())
    }

    private static func pow1024(_ power: Int) -> Double {
        (0..<power).reduce(1.0) { value, _ in value * 1024 }
    }

    /// CPU indices from `0`, `0,1`, `0-3,6` (the kernel's list format).
    public static func cpuList(_ text: String) -> [Int]? {
        var cpus: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.trimmingCharacters(in: .whitespaces).split(
                separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), low >= 0 else { return nil }
            let high = bounds.count == 2 ? Int(bounds[1]) : low
            guard let high, high >= low, high < 4096 else { return nil }
            cpus.append(contentsOf: low...high)
        }
        return cpus.isEmpty ? nil : cpus
    }

    public static func isNone(_ text: String) -> Bool {
        ["none", "unlimited", "max"].contains(text.lowercased())
    }
}
