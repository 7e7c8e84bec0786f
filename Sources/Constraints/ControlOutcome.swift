/// Whether one control took effect, and why (or why not). Nothing is skipped silently.
public struct ControlOutcome: Sendable, Codable, Equatable {
    /// `true` when the control is in force.
    public var applied: Bool
    /// What was done ("wrote 20000 100000 to .../cpu.max") or why not ("controller absent").
    public var reason: String
    /// The value asked for, as text ("0.2", "209715200", "0,1").
    public var value: String?
    /// Extra evidence (for page-cache controls: residency before and after).
    public var residencyBefore: Double?
    public var residencyAfter: Double?

    enum CodingKeys: String, CodingKey {
        case applied, reason, value
        case residencyBefore = "residency_before", residencyAfter = "residency_after"
    }

    public init(applied: Bool, reason: String, value: String? = nil) {
        self.applied = applied
        self.reason = reason
        self.value = value
    }

    /// A control that took effect.
    public static func applied(_ reason: String, value: String? = nil) -> ControlOutcome {
        ControlOutcome(applied: true, reason: reason, value: value)
    }

    /// A control that did not take effect.
    public static func notApplied(_ reason: String, value: String? = nil) -> ControlOutcome {
        ControlOutcome(applied: false, reason: reason, value: value)
    }
}
