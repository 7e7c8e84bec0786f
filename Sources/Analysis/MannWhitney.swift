/// The Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples.
///
/// Ranks are averaged over ties; the p-value is two-sided from the normal approximation with
/// the tie-corrected variance and a continuity correction of 0.5 (as `scipy.stats.mannwhitneyu`
/// with `method="asymptotic"`). Latency samples in a trial have tens to thousands of values,
/// where the approximation is accurate; below about 8 per side treat the p-value as rough.
public struct MannWhitneyResult: Sendable, Codable, Equatable {
    /// U of the first sample: the number of pairs (a, b) with a > b, ties counted one half.
    public var u1: Double
    /// U of the second sample; `u1 + u2 == n1 * n2`.
    public var u2: Double
    /// The normal statistic of `u1` (continuity-corrected); 0 when every value is tied.
    public var z: Double
    /// The two-sided p-value.
    public var pValue: Double
    public var n1: Int
    public var n2: Int

    public init(u1: Double, u2: Double, z: Double, pValue: Double, n1: Int, n2: Int) {
        self.u1 = u1
        self.u2 = u2
        self.z = z
        self.pValue = pValue
        self.n1 = n1
        self.n2 = n2
    }

    private enum CodingKeys: String, CodingKey {
        case u1, u2, z, n1, n2
        case pValue = "p_value"
    }

    /// The probability that a random value of the second sample exceeds one of the first
    /// (ties one half): `u2 / (n1 * n2)`. 0.5 means no shift.
    public var probabilityOfSuperiority: Double { u2 / Double(n1 * n2) }
}

public enum MannWhitney {
    /// Tests whether `first` and `second` come from the same distribution. `nil` when either
    /// sample is empty.
    public static func test(_ first: [Double], _ second: [Double], continuityCorrection: Bool = true)
        -> MannWhitneyResult?
    {
        let n1 = first.count
        let n2 = second.count
        guard n1 > 0, n2 > 0 else { return nil }
        let pooled = (first.map { ($0, 0) } + second.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        let n = n1 + n2
        var rankSumFirst = 0.0
        var tieTerm = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && pooled[j + 1].0 == pooled[i].0 { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            for k in i...j where pooled[k].1 == 0 { rankSumFirst += averageRank }
            i = j + 1
        }
        let u1 = rankSumFirst - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let mean = Double(n1 * n2) / 2
        let nd = Double(n)
        let variance = Double(n1 * n2) / 12 * ((nd + 1) - tieTerm / (nd * (nd - 1)))
        guard variance > 0 else {
            return MannWhitneyResult(u1: u1, u2: u2, z: 0, pValue: 1, n1: n1, n2: n2)
        }
        var deviation = u1 - mean
        if continuityCorrection {
            deviation = deviation > 0 ? max(0, deviation - 0.5) : min(0, deviation + 0.5)
        }
        let z = deviation / variance.squareRoot()
        return MannWhitneyResult(u1: u1, u2: u2, z: z, pValue: Distributions.normalTwoSided(z), n1: n1, n2: n2)
    }
}
