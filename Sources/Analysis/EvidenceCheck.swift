import InferLabCore

/// The evidence standard of DESIGN.md as a pure function: did the mechanism metric move with
/// the app metric, and did the control stay flat?
public enum EvidenceCheck {
    /// Judges one app metric against one mechanism metric and any number of controls.
    ///
    /// The app metric "moved" when Mann-Whitney U gives p < `alpha` and its statistic changed by
    /// at least `minimumAppChange`. The mechanism "moved with it" when it changed by at least
    /// `minimumMechanismChange` in the same direction (rose when the app metric rose, fell when
    /// it fell). A control is flat when it changed by at most `controlTolerance`.
    public static func evaluate(
        app: AppMetricSamples, mechanism: MetricChange, controls: [MetricChange],
        thresholds: EvidenceThresholds = EvidenceThresholds()
    ) -> Verdict {
        let before = app.statistic.compute(app.before) ?? .nan
        let after = app.statistic.compute(app.after) ?? .nan
        let pValue = MannWhitney.test(app.before, app.after)?.pValue ?? 1
        let ratio: Double? = before == 0 || before.isNaN ? nil : after / before
        let appChange = before == 0 ? (after == 0 ? 0 : Double.infinity) : (after - before) / abs(before)
        let appMoved = pValue < thresholds.alpha && abs(appChange) >= thresholds.minimumAppChange
        let direction: Double = after >= before ? 1 : -1

        let mechanismDelta = mechanism.after - mechanism.before
        let mechanismMoved: Bool
        if let relative = mechanism.relativeChange {
            mechanismMoved = relative * direction >= thresholds.minimumMechanismChange
        } else {
            mechanismMoved = mechanismDelta * direction > thresholds.absoluteFloor
        }
        let moved = controls.filter { !isFlat($0, thresholds) }.map(\.name)

        let outcome: Verdict.Outcome
        if !appMoved || app.before.isEmpty || app.after.isEmpty {
            outcome = .inconclusive
        } else if !mechanismMoved {
            outcome = .notSupported
        } else if !moved.isEmpty {
            outcome = .inconclusive
        } else {
            outcome = .supported
        }
        let text = sentence(
            app: app, before: before, after: after, ratio: ratio, pValue: pValue, appMoved: appMoved,
            mechanism: mechanism, controls: controls, thresholds: thresholds)
        return Verdict(
            outcome: outcome, app: app.name, appBefore: before, appAfter: after, appRatio: ratio, pValue: pValue,
            mechanism: mechanism, mechanismMoved: mechanismMoved, controls: controls, controlsMoved: moved,
            text: text)
    }

    static func isFlat(_ control: MetricChange, _ thresholds: EvidenceThresholds) -> Bool {
        if control.isNegligible { return true }
        if let relative = control.relativeChange { return abs(relative) <= thresholds.controlTolerance }
        return abs(control.after) <= thresholds.absoluteFloor
    }

    static func formatP(_ p: Double) -> String {
        p < 0.001 ? "p < 0.001" : "p = \(MetricUnit.number(p))"
    }

    static func signedPercent(_ fraction: Double) -> String {
        let percent = fraction * 100
        return "\(percent >= 0 ? "+" : "")\(MetricUnit.number(percent)) %"
    }

    private static func sentence(
        app: AppMetricSamples, before: Double, after: Double, ratio: Double?, pValue: Double, appMoved: Bool,
        mechanism: MetricChange, controls: [MetricChange], thresholds: EvidenceThresholds
    ) -> String {
        let figures = "\(app.unit.format(before)) -> \(app.unit.format(after)), \(formatP(pValue))"
        var appPart: String
        if !appMoved {
            appPart = "\(app.name) did not change significantly (\(figures))"
        } else {
            let verb = after >= before ? "rose" : "fell"
            let factor = ratio.map { after >= before ? "\(MetricUnit.number($0))x" : "\(MetricUnit.number(1 / $0))x" }
            appPart = "\(app.name) \(verb)\(factor.map { " \($0)" } ?? "") (\(figures))"
        }
        let mechanismVerb: String
        if mechanism.after > mechanism.before {
            mechanismVerb = "rose"
        } else if mechanism.after < mechanism.before {
            mechanismVerb = "fell"
        } else {
            mechanismVerb = "stayed at"
        }
        let mechanismFigures =
            mechanismVerb == "stayed at"
            ? mechanism.unit.format(mechanism.before)
            : "\(mechanism.unit.format(mechanism.before)) -> \(mechanism.unit.format(mechanism.after))"
        appPart += " while \(mechanism.name) \(mechanismVerb) \(mechanismFigures)"
        let controlParts = controls.map { control -> String in
            let flat = isFlat(control, thresholds)
            let change: String
            if let relative = control.relativeChange {
                change = signedPercent(relative)
            } else {
                change = "\(control.unit.format(control.before)) -> \(control.unit.format(control.after))"
            }
            if control.isNegligible, let floor = control.negligibleBelow {
                let figures = "\(control.unit.format(control.before)) -> \(control.unit.format(control.after))"
                return "control \(control.name) stayed negligible (\(figures), below \(control.unit.format(floor)))"
            }
            return "control \(control.name) \(flat ? "stayed flat" : "moved") (\(change))"
        }
        return ([appPart] + controlParts).joined(separator: "; ")
    }
}
