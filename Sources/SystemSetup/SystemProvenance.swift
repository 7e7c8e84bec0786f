/// The system part of an experiment run's provenance: the machine shown before `prepare`, once prepared, and
/// after `restore`, with both reports.
public struct SystemProvenance: Codable, Sendable, Equatable {
    /// The profile's name.
    public var profile: String
    /// The machine before `prepare`.
    public var before: SystemInfo
    /// The machine as the trials saw it.
    public var prepared: SystemInfo
    /// The machine after `restore` (nil when restore threw).
    public var after: SystemInfo?
    /// What `prepare` did.
    public var preparation: PreparationReport
    /// What `restore` did (nil when it threw).
    public var restore: RestoreReport?

    enum CodingKeys: String, CodingKey {
        case profile, before, prepared, after, preparation, restore
    }
}

extension SystemPreparation {
    /// Prepares `profile`, runs `body`, and restores afterwards, also when `body` throws or is cancelled
    /// (Ctrl-C handled by the caller as task cancellation). `body` receives the provenance so far.
    ///
    /// An experiment runner's `system: {profile: bounded}` block calls this around its trials. If `body` throws,
    /// the machine is restored and the error rethrown; the provenance is then lost with it, so runners that need
    /// it on failure should record `provenance` inside `body` as they go.
    public func withPrepared<Value: Sendable>(
        profile: SystemProfile, _ body: (SystemProvenance) async throws -> Value
    ) async throws -> (result: Value, provenance: SystemProvenance) {
        let before = SystemShow.read(root: root)
        let report: PreparationReport
        do {
            report = try prepare(profile: profile)
        } catch {
            _ = try? restore()
            throw error
        }
        var provenance = SystemProvenance(
            profile: profile.name, before: before, prepared: SystemShow.read(root: root), after: nil,
            preparation: report, restore: nil)
        let result: Value
        do {
            result = try await body(provenance)
        } catch {
            _ = try? restore()
            throw error
        }
        provenance.restore = try restore()
        provenance.after = SystemShow.read(root: root)
        return (result, provenance)
    }
}
