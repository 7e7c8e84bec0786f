public import InferenceCore

/// What a step of the engine costs, from the trial's own steps: `duration ≈ base + perDecodeToken
/// × decode tokens + perPromptToken × prompt tokens`, in milliseconds.
///
/// Fitted by least squares, then again without the steps that ran more than three robust
/// standard deviations slower than the fit (those are the stalled steps whose extra time the
/// explanation looks for on the OS side; they must not inflate the cost of a token). The
/// coefficients are kept non-negative. With one decode token in every step, `base` and
/// `perDecodeToken` cannot be told apart; only their sum (a step of batch size 1) is used then.
public struct StepCostModel: Sendable, Equatable, Codable {
    public var baseMilliseconds: Double
    public var perDecodeTokenMilliseconds: Double
    public var perPromptTokenMilliseconds: Double
    /// Steps the fit used, and the stalled ones it left out.
    public var steps: Int
    public var excluded: Int

    public init(
        baseMilliseconds: Double, perDecodeTokenMilliseconds: Double, perPromptTokenMilliseconds: Double, steps: Int,
        excluded: Int
    ) {
        self.baseMilliseconds = baseMilliseconds
        self.perDecodeTokenMilliseconds = perDecodeTokenMilliseconds
        self.perPromptTokenMilliseconds = perPromptTokenMilliseconds
        self.steps = steps
        self.excluded = excluded
    }

    enum CodingKeys: String, CodingKey {
        case baseMilliseconds = "base_ms"
        case perDecodeTokenMilliseconds = "per_decode_token_ms"
        case perPromptTokenMilliseconds = "per_prompt_token_ms"
        case steps, excluded
    }

    /// The modelled duration of a step with these tokens.
    public func milliseconds(decode: Int, prompt: Int) -> Double {
        baseMilliseconds + perDecodeTokenMilliseconds * Double(decode) + perPromptTokenMilliseconds * Double(prompt)
    }

    /// A decode step of batch size 1: what one token of a request costs alone.
    public var soloDecodeMilliseconds: Double { baseMilliseconds + perDecodeTokenMilliseconds }

    /// The model of `steps`; `nil` without steps.
    public static func fit(_ steps: [StepRecord]) -> StepCostModel? {
        let rows = steps.map { (d: Double($0.decodeTokens), p: Double($0.promptTokens), y: $0.durationMilliseconds) }
        guard !rows.isEmpty else { return nil }
        guard var model = solve(rows) else { return nil }
        let residuals = rows.map { $0.y - model.predict($0.d, $0.p) }
        let median = Statistics.median(residuals) ?? 0
        let mad = (Statistics.median(residuals.map { abs($0 - median) }) ?? 0) * 1.4826
        let kept = zip(rows, residuals).filter { mad == 0 || $0.1 - median <= 3 * mad }.map(\.0)
        if kept.count < rows.count, let refit = solve(kept) { model = refit }
        return StepCostModel(
            baseMilliseconds: model.base, perDecodeTokenMilliseconds: model.decode,
            perPromptTokenMilliseconds: model.prompt, steps: kept.count, excluded: rows.count - kept.count)
    }

    private struct Coefficients {
        var base: Double
        var decode: Double
        var prompt: Double
        func predict(_ d: Double, _ p: Double) -> Double { base + decode * d + prompt * p }
    }

    /// Least squares with non-negative slopes: a slope that comes out negative is dropped and the
    /// rest fitted again; one that cannot be estimated (its regressor does not vary apart from the
    /// others) is 0.
    private static func solve(_ rows: [(d: Double, p: Double, y: Double)]) -> Coefficients? {
        guard !rows.isEmpty else { return nil }
        let n = Double(rows.count)
        let meanY = rows.reduce(0) { $0 + $1.y } / n
        func regressor(_ row: (d: Double, p: Double, y: Double), _ index: Int) -> Double { index == 0 ? row.d : row.p }
        var used = [0, 1]
        while true {
            let means = used.map { index in rows.reduce(0) { $0 + regressor($1, index) } / n }
            // Centred normal equations for the slopes.
            var a = [[Double]](repeating: [Double](repeating: 0, count: used.count), count: used.count)
            var b = [Double](repeating: 0, count: used.count)
            for row in rows {
                let x = used.indices.map { regressor(row, used[$0]) - means[$0] }
                for i in used.indices {
                    b[i] += x[i] * (row.y - meanY)
                    for j in used.indices { a[i][j] += x[i] * x[j] }
                }
            }
            let slopes = gaussianSolve(a, b) ?? [Double](repeating: 0, count: used.count)
            if let negative = slopes.firstIndex(where: { $0 < 0 }) {
                used.remove(at: negative)
                continue
            }
            var coefficients = Coefficients(base: meanY, decode: 0, prompt: 0)
            for (position, index) in used.enumerated() {
                if index == 0 { coefficients.decode = slopes[position] } else { coefficients.prompt = slopes[position] }
                coefficients.base -= slopes[position] * means[position]
            }
            coefficients.base = max(0, coefficients.base)  // a step's fixed cost is not negative
            return coefficients
        }
    }

    /// Solves `a x = b` by Gaussian elimination with partial pivoting; a pivot near zero (a
    /// regressor that does not vary) gives 0 for that unknown.
    private static func gaussianSolve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        guard n > 0 else { return [] }
        var m = a
        var v = b
        let scale = max(1e-12, m.indices.map { abs(m[$0][$0]) }.max() ?? 0)
        var skipped = Set<Int>()
        for column in 0..<n {
            let pivot = (column..<n).max { abs(m[$0][column]) < abs(m[$1][column]) } ?? column
            if abs(m[pivot][column]) < 1e-9 * scale {
                skipped.insert(column)
                continue
            }
            m.swapAt(column, pivot)
            v.swapAt(column, pivot)
            for row in 0..<n where row != column {
                let factor = m[row][column] / m[column][column]
                if factor == 0 { continue }
                for k in column..<n { m[row][k] -= factor * m[column][k] }
                v[row] -= factor * v[column]
            }
        }
        return (0..<n).map { skipped.contains($0) || m[$0][$0] == 0 ? 0 : v[$0] / m[$0][$0] }
    }
}
