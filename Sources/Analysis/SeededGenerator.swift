/// A small deterministic pseudo-random generator (SplitMix64) for resampling.
///
/// Every bootstrap in InferLab takes a seed, so a report rebuilt from the same data prints the
/// same confidence intervals. SplitMix64 passes BigCrush and is enough for resampling indices.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index in `0..<count` (multiply-shift, no modulo bias worth mentioning).
    ///
    /// Written here rather than taken from `Int.random(in:using:)` so the sequence of indices is
    /// fixed by this file alone, whatever the standard library does.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "index(below:) needs a positive count")
        return Int(next().multipliedFullWidth(by: UInt64(count)).high)
    }
}
