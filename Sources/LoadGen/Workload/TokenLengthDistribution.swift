public import InferLabCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A distribution of token counts for synthetic prompts and outputs, written
/// `fixed:N`, `uniform:A,B`, `normal:MEAN,SD` or `lognormal:MEAN,SD`.
///
/// Every parameter is in tokens: `lognormal:MEAN,SD` has that mean and standard deviation
/// (the underlying normal's μ and σ are derived: σ² = ln(1 + SD²/MEAN²), μ = ln MEAN − σ²/2),
/// the long right tail of real chat prompts. Draws are rounded and at least 1.
public enum TokenLengthDistribution: Sendable, Equatable, CustomStringConvertible, Codable {
    case fixed(Int)
    case uniform(Int, Int)
    case normal(mean: Double, sd: Double)
    case lognormal(mean: Double, sd: Double)

    /// Parses the text form; the error says what is wrong with it and shows the forms.
    public static func parse(_ text: String) throws(ConfigurationError) -> TokenLengthDistribution {
        let forms = "fixed:N, uniform:A,B, normal:MEAN,SD or lognormal:MEAN,SD"
        func bad(_ why: String) -> ConfigurationError {
            ConfigurationError(code: .invalidValue, field: "", message: "'\(text)': \(why); write \(forms)")
        }
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw bad("no ':' between the kind and its parameters") }
        let numbers = parts[1].split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.contains(where: { $0 == nil || !$0!.isFinite }) else { throw bad("a parameter is not a number") }
        let values = numbers.compactMap { $0 }
        func count(_ n: Int) throws(ConfigurationError) {
            guard values.count == n else { throw bad("\(parts[0]) takes \(n) parameter(s), got \(values.count)") }
        }
        func whole(_ v: Double) throws(ConfigurationError) -> Int {
            guard v == v.rounded(), v >= 1, v < 1e7 else { throw bad("token counts must be whole numbers >= 1") }
            return Int(v)
        }
        switch parts[0].lowercased() {
        case "fixed":
            try count(1)
            return .fixed(try whole(values[0]))
        case "uniform":
            try count(2)
            let (a, b) = (try whole(values[0]), try whole(values[1]))
            guard a <= b else { throw bad("the lower bound is above the upper") }
            return .uniform(a, b)
        case "normal", "lognormal":
            try count(2)
            guard values[0] >= 1 else { throw bad("the mean must be at least 1 token") }
            guard values[1] >= 0 else { throw bad("the standard deviation must be >= 0") }
            return parts[0].lowercased() == "normal"
                ? .normal(mean: values[0], sd: values[1]) : .lognormal(mean: values[0], sd: values[1])
        default:
            throw bad("unknown kind '\(parts[0])'")
        }
    }

    public var description: String {
        func f(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
        switch self {
        case .fixed(let n): return "fixed:\(n)"
        case .uniform(let a, let b): return "uniform:\(a),\(b)"
        case .normal(let m, let s): return "normal:\(f(m)),\(f(s))"
        case .lognormal(let m, let s): return "lognormal:\(f(m)),\(f(s))"
        }
    }

    /// The distribution's mean in tokens (before rounding and the floor of 1).
    public var mean: Double {
        switch self {
        case .fixed(let n): Double(n)
        case .uniform(let a, let b): Double(a + b) / 2
        case .normal(let m, _), .lognormal(let m, _): m
        }
    }

    /// One draw.
    public func sample(_ rng: inout SeededGenerator) -> Int {
        let value: Double
        switch self {
        case .fixed(let n): return n
        case .uniform(let a, let b): return a + rng.nextInt(below: b - a + 1)
        case .normal(let m, let s): value = m + s * rng.nextNormal()
        case .lognormal(let m, let s):
            let sigma2 = log(1 + (s * s) / (m * m))
            value = exp(log(m) - sigma2 / 2 + sigma2.squareRoot() * rng.nextNormal())
        }
        return max(1, Int(value.rounded()))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Self.parse(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
