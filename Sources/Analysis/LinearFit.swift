/// An ordinary least-squares line y = intercept + slope * x, with R^2 and the slope's interval.
///
/// Used for per-token latency against token position (does decoding slow down as the context
/// fills?), RSS over time (does memory grow?) and latency against a swept load (is the
/// degradation linear?).
public struct LinearFit: Sendable, Codable, Equatable {
    public var slope: Double
    public var intercept: Double
    /// The coefficient of determination. A sample whose y values are all equal is fitted exactly
    /// by a horizontal line and gets R^2 = 1.
    public var rSquared: Double
    /// The standard error of the slope; `nil` with fewer than three points (no residual
    /// degrees of freedom).
    public var slopeStandardError: Double?
    /// The slope's two-sided confidence interval from Student's t with n - 2 degrees of freedom;
    /// `nil` with fewer than three points.
    public var slopeInterval: ConfidenceInterval?
    public var count: Int

    public init(
        slope: Double, intercept: Double, rSquared: Double, slopeStandardError: Double?,
        slopeInterval: ConfidenceInterval?, count: Int
    ) {
        self.slope = slope
        self.intercept = intercept
        self.rSquared = rSquared
        self.slopeStandardError = slopeStandardError
        self.slopeInterval = slopeInterval
        self.count = count
    }

    private enum CodingKeys: String, CodingKey {
        case slope, intercept, count
        case rSquared = "r_squared"
        case slopeStandardError = "slope_standard_error"
        case slopeInterval = "slope_interval"
    }

    /// The value of the line at `x`.
    public func predict(_ x: Double) -> Double { intercept + slope * x }

    /// The least-squares fit of paired samples, or `nil` when there are fewer than two points,
    /// the arrays differ in length, or every x is the same (no slope is defined).
    public static func fit(x: [Double], y: [Double], level: Double = 0.95) -> LinearFit? {
        let n = x.count
        guard n >= 2, y.count == n else { return nil }
        let meanX = x.reduce(0, +) / Double(n)
        let meanY = y.reduce(0, +) / Double(n)
        var sxx = 0.0
        var sxy = 0.0
        var syy = 0.0
        for i in 0..<n {
            let dx = x[i] - meanX
            let dy = y[i] - meanY
            sxx += dx * dx
            sxy += dx * dy
            syy += dy * dy
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let intercept = meanY - slope * meanX
        var ssRes = 0.0
        for i in 0..<n {
            let r = y[i] - (intercept + slope * x[i])
            ssRes += r * r
        }
        let rSquared = syy > 0 ? max(0, 1 - ssRes / syy) : 1
        var standardError: Double?
        var interval: ConfidenceInterval?
        if n >= 3 {
            let df = Double(n - 2)
            let se = (ssRes / df / sxx).squareRoot()
            let t = Distributions.studentTQuantile(1 - (1 - level) / 2, df: df)
            standardError = se
            interval = ConfidenceInterval(estimate: slope, lower: slope - t * se, upper: slope + t * se, level: level)
        }
        return LinearFit(
            slope: slope, intercept: intercept, rSquared: rSquared, slopeStandardError: standardError,
            slopeInterval: interval, count: n)
    }

    /// The fit of a series against its index (0, 1, 2, ...), e.g. per-token latency against
    /// token position.
    public static func fitAgainstIndex(_ y: [Double], level: Double = 0.95) -> LinearFit? {
        fit(x: (0..<y.count).map(Double.init), y: y, level: level)
    }
}
