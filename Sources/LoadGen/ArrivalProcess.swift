import InferLabCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Inter-arrival times of an open-loop load: gamma-distributed with mean `1 / rate`.
///
/// `burstiness` is the gamma shape k: 1 gives a Poisson process (exponential gaps, variance
/// 1/rate²); k < 1 is burstier (variance 1/(k·rate²)), k > 1 more regular.
public struct ArrivalProcess: Sendable {
    /// Requests per second (> 0).
    public let rate: Double
    /// Gamma shape (> 0); 1 is Poisson.
    public let burstiness: Double
    /// Equal gaps of `1 / rate` (the `constant` scenario); `burstiness` is then unused.
    public let regular: Bool
    private var generator: SeededGenerator

    public init(rate: Double, burstiness: Double = 1, regular: Bool = false, seed: UInt64) {
        precondition(rate > 0 && burstiness > 0)
        self.rate = rate
        self.burstiness = burstiness
        self.regular = regular
        generator = SeededGenerator(seed: seed)
    }

    /// The next gap in seconds.
    public mutating func nextInterval() -> Double {
        if regular { return 1 / rate }
        if burstiness == 1 {
            return -log(generator.nextUnitOpen()) / rate
        }
        return gamma(shape: burstiness) / (burstiness * rate)
    }

    /// The next gap, to the nanosecond.
    public mutating func nextGap() -> Duration { .seconds(clamping: nextInterval()) }

    /// Marsaglia-Tsang for shape >= 1, with the U^(1/k) boost below 1. Scale 1.
    private mutating func gamma(shape: Double) -> Double {
        if shape < 1 {
            let u = generator.nextUnitOpen()
            return gamma(shape: shape + 1) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = generator.nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = generator.nextUnitOpen()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
