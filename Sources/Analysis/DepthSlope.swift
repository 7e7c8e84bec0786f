import Foundation

/// The decode cost of a token against the KV depth it ran at: the line ms = a + b × depth over
/// one generation's decode steps. Each step's attention reads the whole KV cache, so the cost
/// grows with the depth; the slope b is the mechanism behind "later tokens are slower".
///
/// The growth is a staircase: llama.cpp attends over the used cells rounded up to a multiple of
/// 256 (flash attention's padding), so the cost rises by a step each time the depth crosses one
/// and is flat in between (smollm2-135m, 2 threads: about +1.3 ms per step, 4.2 ms per 1,000
/// cells over depths 64-2,043). A run within one 256-cell block (200 tokens from depth 1,800)
/// has no stable slope (-2.0 to +1.5 ms per 1,000 cells in three runs): fit a run across
/// several blocks, or compare runs at different depths (4.5 ms per 1,000 cells from 64 to 1,800).
///
/// The line is Theil–Sen's: the slope is the median of the slopes of every pair of points, the
/// intercept the median of ms − b × depth. On a shared VM a decode's time is noisy on one side
/// only and in bursts (a preemption, the hypervisor's steal, a neighbour's build add milliseconds
/// to runs of consecutive tokens): least squares bends toward a burst (one at the end of a run
/// reads as a steep slope), and a cut at the 99th percentile keeps the burst's smaller members.
/// Theil–Sen ignores up to 29 % of the points wherever they are, needs no threshold, and has a
/// distribution-free interval from the ranks of the pairwise slopes (Sen 1968). A burst still
/// tilts it a little (a tenth of the steps stalled at a run's end: +20 % on the slope), so the
/// steps far above its first line (stalls: the noise only adds) are left out and the line fitted
/// again.
public struct DepthSlope: Sendable, Codable, Equatable {
    /// The line's value at depth 0, in ms: the cost of a decode step without attention over a cache.
    public var millisecondsAtDepthZero: Double
    /// The slope: extra ms per decode step for every 1,000 cells of KV depth.
    public var millisecondsPerThousandCells: Double
    /// The slope's confidence interval (Sen's, from the ranks of the pairwise slopes), in ms per 1,000 cells.
    public var interval: ConfidenceInterval
    /// 1 − Σ residual² / Σ (ms − mean)² of the line on the fitted points. Low within one short
    /// run, where the depth moves little and the noise does not.
    public var rSquared: Double
    /// The median absolute residual, in ms: the spread around the line, robust to the bursts.
    public var residualSpread: Double
    /// Decode steps fitted.
    public var tokens: Int
    /// The first decode steps left out.
    public var skipped: Int
    /// Steps left out as stalls: more than `stallSpreads` residual spreads above the first line
    /// (pooled bins when the run was pooled).
    public var stalls: Int

    /// A stall is a step this many median absolute residuals above the first line: 7.4 of them
    /// are 5 standard deviations of normal noise.
    public static let stallSpreads = 7.4

    public init(
        millisecondsAtDepthZero: Double, millisecondsPerThousandCells: Double, interval: ConfidenceInterval,
        rSquared: Double, residualSpread: Double, tokens: Int, skipped: Int, stalls: Int
    ) {
        self.millisecondsAtDepthZero = millisecondsAtDepthZero
        self.millisecondsPerThousandCells = millisecondsPerThousandCells
        self.interval = interval
        self.rSquared = rSquared
        self.residualSpread = residualSpread
        self.tokens = tokens
        self.skipped = skipped
        self.stalls = stalls
    }

    enum CodingKeys: String, CodingKey {
        case millisecondsAtDepthZero = "ms_at_depth_0"
        case millisecondsPerThousandCells = "ms_per_1k_depth"
        case interval = "ms_per_1k_depth_interval"
        case rSquared = "r2"
        case residualSpread = "residual_mad_ms"
        case tokens, skipped, stalls
    }

    /// The cost in ms predicted at `depth` cells.
    public func predict(depth: Double) -> Double {
        millisecondsAtDepthZero + millisecondsPerThousandCells * depth / 1000
    }

    /// Fits decode steps given as their KV depths (cells) and costs (ms), in generation order.
    ///
    /// - `skipFirst`: the first steps after the prompt left out. The default is 4: they pay
    ///   set-up (the one-token graph is built, the generation thread pool wakes, pages of the
    ///   compute buffer are touched for the first time).
    /// - `maxPoints`: above it, consecutive steps are pooled into equal bins (mean depth, median
    ///   cost) so the pairs stay below maxPoints² / 2. The default is 1,000 (half a million pairs).
    ///
    /// `nil` with fewer than three points after skipping, arrays of different lengths, or a
    /// single depth.
    public static func fit(
        depths: [Double], milliseconds: [Double], skipFirst: Int = 4, level: Double = 0.95, maxPoints: Int = 1000
    ) -> DepthSlope? {
        guard depths.count == milliseconds.count, skipFirst >= 0, maxPoints >= 3 else { return nil }
        let skipped = min(skipFirst, depths.count)
        var x = Array(depths.dropFirst(skipped))
        var y = Array(milliseconds.dropFirst(skipped))
        let tokens = x.count
        guard tokens >= 3 else { return nil }
        if tokens > maxPoints { (x, y) = pooled(x: x, y: y, bins: maxPoints) }
        guard let first = theilSen(x: x, y: y) else { return nil }
        let firstResiduals = zip(x, y).map { $1 - (first.intercept + first.slope * $0) }
        // Within rounding of the line is never a stall (an exact line has a spread of 0).
        let rounding = 1e-9 * (y.map(abs).max() ?? 0)
        let limit = max(stallSpreads * median(sorted: firstResiduals.map(abs).sorted()), rounding)
        let kept = firstResiduals.indices.filter { firstResiduals[$0] <= limit }
        let stalls = x.count - kept.count
        x = kept.map { x[$0] }
        y = kept.map { y[$0] }
        guard x.count >= 3, let line = theilSen(x: x, y: y) else { return nil }
        let (slope, intercept, slopes) = line
        let residuals = zip(x, y).map { $1 - (intercept + slope * $0) }
        let mean = y.reduce(0, +) / Double(y.count)
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let residual = residuals.reduce(0) { $0 + $1 * $1 }
        let rSquared = total > 0 ? 1 - residual / total : 1

        // Sen's interval: the slopes of ranks (N ∓ C) / 2, C = z · sd of Kendall's S under no trend.
        let n = Double(x.count)
        let pairs = Double(slopes.count)
        let c = normalQuantile(1 - (1 - level) / 2) * (n * (n - 1) * (2 * n + 5) / 18).squareRoot()
        let lower = slopes[max(0, Int(((pairs - c) / 2).rounded(.down)) - 1)]
        let upper = slopes[min(slopes.count - 1, Int(((pairs + c) / 2).rounded(.up)))]
        return DepthSlope(
            millisecondsAtDepthZero: intercept, millisecondsPerThousandCells: slope * 1000,
            interval: ConfidenceInterval(
                estimate: slope * 1000, lower: lower * 1000, upper: upper * 1000, level: level),
            rSquared: rSquared, residualSpread: median(sorted: residuals.map(abs).sorted()), tokens: tokens,
            skipped: skipped, stalls: stalls)
    }

    /// The median pairwise slope, the median intercept, and every pairwise slope sorted; `nil`
    /// when all x are equal.
    static func theilSen(x: [Double], y: [Double]) -> (slope: Double, intercept: Double, slopes: [Double])? {
        var slopes: [Double] = []
        slopes.reserveCapacity(x.count * (x.count - 1) / 2)
        for i in 0..<x.count {
            for j in (i + 1)..<x.count where x[j] != x[i] {
                slopes.append((y[j] - y[i]) / (x[j] - x[i]))
            }
        }
        guard !slopes.isEmpty else { return nil }
        slopes.sort()
        let slope = median(sorted: slopes)
        let intercept = median(sorted: zip(x, y).map { $1 - slope * $0 }.sorted())
        return (slope, intercept, slopes)
    }

    /// Consecutive points pooled into `bins` bins of near-equal size: mean x, median y.
    static func pooled(x: [Double], y: [Double], bins: Int) -> ([Double], [Double]) {
        var pooledX: [Double] = []
        var pooledY: [Double] = []
        for bin in 0..<bins {
            let range = (bin * x.count / bins)..<((bin + 1) * x.count / bins)
            guard !range.isEmpty else { continue }
            pooledX.append(x[range].reduce(0, +) / Double(range.count))
            pooledY.append(median(sorted: y[range].sorted()))
        }
        return (pooledX, pooledY)
    }

    /// The middle of a sorted sample (the mean of the two middle values for an even count).
    static func median(sorted values: [Double]) -> Double {
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    /// The standard normal quantile, by bisection on the CDF.
    static func normalQuantile(_ p: Double) -> Double {
        var low = -10.0
        var high = 10.0
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if Distributions.normalCDF(middle) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
