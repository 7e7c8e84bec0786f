#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SplitMix64: a small, fast, seeded generator (corpus, arrivals, bootstrap) whose output is
/// identical on every platform and Swift version (the standard library's generator is neither seedable nor stable).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double uniform in the open interval (0, 1), from the top 53 bits.
    public mutating func nextUnitOpen() -> Double {
        (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// An integer uniform in `0..<bound` (bound > 0), by rejection so no value is favoured.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let v = next()
            if v < limit { return Int(v % b) }
        }
    }

    /// A standard normal draw (Box-Muller).
    public mutating func nextNormal() -> Double {
        let u1 = nextUnitOpen()
        let u2 = nextUnitOpen()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
    /// A uniform index in `0..<count` by multiply-shift (the bootstrap's resampling; its
    /// sequence is fixed by this file alone, whatever the standard library does).
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "index(below:) needs a positive count")
        return Int(next().multipliedFullWidth(by: UInt64(count)).high)
    }
}
