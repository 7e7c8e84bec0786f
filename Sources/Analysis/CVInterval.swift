import Foundation

/// The confidence interval of a coefficient of variation across repetitions, and how many
/// repetitions a width needs: what "CV of p99 < 15 %" can claim from n runs.
///
/// Normal theory: (n-1)s²/σ² is χ² with n-1 degrees of freedom, so σ lies in
/// [s·√((n-1)/χ²₍₁₊L₎/₂), s·√((n-1)/χ²₍₁₋L₎/₂)], and the CV's interval is that over the mean (the
/// mean's own error is second order at the CVs measured here). From 3 repetitions the 95 %
/// interval of a 15 % CV is 8 % to 94 %: three runs cannot tell a bounded engine from a jittery
/// one.
public enum CVInterval {
    /// The CV of `values` with its interval at `level`; nil for fewer than two values or a zero mean.
    public static func of(_ values: [Double], level: Double = 0.95) -> ConfidenceInterval? {
        guard values.count >= 2, let mean = Statistics.mean(values), mean != 0,
            let sd = Statistics.standardDeviation(values)
        else { return nil }
        let cv = sd / abs(mean)
        let (low, high) = factors(n: values.count, level: level)
        return ConfidenceInterval(estimate: cv, lower: cv * low, upper: cv * high, level: level)
    }

    /// The multipliers of s that bound σ from n values: √((n-1)/χ²₍₁₊L₎/₂) and √((n-1)/χ²₍₁₋L₎/₂).
    public static func factors(n: Int, level: Double = 0.95) -> (low: Double, high: Double) {
        let df = Double(n - 1)
        let upperQuantile = ChiSquare.quantile((1 + level) / 2, df: df)
        let lowerQuantile = ChiSquare.quantile((1 - level) / 2, df: df)
        return ((df / upperQuantile).squareRoot(), (df / lowerQuantile).squareRoot())
    }

    /// The width of the interval from n repetitions at a CV of `cv`.
    public static func width(cv: Double, n: Int, level: Double = 0.95) -> Double {
        let (low, high) = factors(n: n, level: level)
        return cv * (high - low)
    }

    /// Whether a level needs another repetition: fewer than `cap` and some figure's interval is
    /// wider than `width` (a figure with fewer than two values needs more by definition).
    public static func needsMore(_ figures: [[Double]], width: Double, cap: Int, level: Double = 0.95) -> Bool {
        guard let n = figures.map(\.count).min(), n < cap else { return false }
        return figures.contains { values in
            guard let interval = of(values, level: level) else { return values.count < 2 }
            return interval.upper - interval.lower > width
        }
    }
}

/// The χ² distribution: its CDF (the regularized lower incomplete gamma P(k/2, x/2)) and quantile.
enum ChiSquare {
    static func cdf(_ x: Double, df: Double) -> Double {
        x <= 0 ? 0 : regularizedGammaP(df / 2, x / 2)
    }

    /// The value with CDF `p`, by bisection.
    static func quantile(_ p: Double, df: Double) -> Double {
        precondition(p > 0 && p < 1 && df > 0)
        var low = 0.0
        var high = max(10, df * 10)
        while cdf(high, df: df) < p { high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if cdf(middle, df: df) < p { low = middle } else { high = middle }
            if high - low < 1e-12 * max(1, high) { break }
        }
        return (low + high) / 2
    }

    /// P(a, x): the series below a + 1, the continued fraction (Lentz) above.
    static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        let logFront = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var n = a
            for _ in 0..<1000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return min(1, sum * exp(logFront))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...1000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return max(0, 1 - exp(logFront) * h)
    }
}
