import Foundation
import GRDB
public import InferLabCore
public import InferenceCore
public import SystemProbe

/// An experiment run as read back: every trial with its requests, token times, samples, steps
/// and constraint outcomes, typed end to end.
public struct StoredRun: Sendable {
    public var experiment: ExperimentRecord
    /// In run order.
    public var trials: [StoredTrial]
    /// In time order.
    public var events: [RunEventRecord]
}

/// One trial as read back.
public struct StoredTrial: Sendable {
    public var record: TrialRecord
    /// The measured window's requests (warm-up excluded), failed ones included, in send order.
    public var requests: [RequestRow]
    /// The receipt times of each request's content events, by request id, in order.
    public var contentTimes: [Int64: [MonotonicInstant]]
    public var samples: [ProbeSample]
    public var steps: [StepRecord]
    public var outcomes: [ConstraintOutcomeRecord]
}

extension RunStore {
    /// Records the start of a run: the `experiment` row of a new run, or the status of a resumed one.
    public func started(_ experiment: ExperimentRecord) throws(RunStoreError) {
        try write { db in
            if var existing = try ExperimentRecord.fetchOne(db, key: experiment.id) {
                existing.status = .running
                existing.finishedAt = nil
                try existing.update(db)
            } else {
                try experiment.insert(db)
            }
        }
    }

    /// The trials that ended (finished or failed); a resumed run skips them.
    public func endedTrials() throws(RunStoreError) -> Set<Int> {
        try read { db in
            Set(
                try TrialRecord.fetchAll(db).filter(\.status.isFinal).map(\.index))
        }
    }

    /// Records how the run ended.
    public func finished(_ status: RunStatus) throws(RunStoreError) {
        let now = ISO8601DateFormatter().string(from: Date())
        try write { db in
            guard var experiment = try ExperimentRecord.fetchOne(db, key: 1) else { return }
            experiment.status = status
            experiment.finishedAt = now
            try experiment.update(db)
        }
    }

    /// Records one run event.
    public func record(_ event: RunEventRecord) throws(RunStoreError) {
        try write { db in try event.insert(db) }
    }

    /// Records one trial and everything measured in it, replacing an earlier record of the same
    /// trial (a cancelled trial run again), in one transaction.
    public func save(
        _ trial: TrialRecord, outcomes: [ConstraintOutcomeRecord], samples: [ProbeSampleRecord],
        steps: [EngineStepRecord], events: [RunEventRecord], profile: ProfileRecord? = nil,
        pageTrace: PageTraceRecord? = nil
    ) throws(RunStoreError) {
        try write { db in
            for table in [
                ProbeSampleRecord.databaseTableName, EngineStepRecord.databaseTableName,
                ConstraintOutcomeRecord.databaseTableName, ProfileRecord.databaseTableName,
                PageTraceRecord.databaseTableName,
            ] {
                try db.execute(sql: "DELETE FROM \(table) WHERE trial_idx = ?", arguments: [trial.index])
            }
            _ = try TrialRecord.deleteOne(db, key: trial.index)
            try trial.insert(db)
            for outcome in outcomes { try outcome.insert(db) }
            for sample in samples { try sample.insert(db) }
            for step in steps { try step.insert(db) }
            for event in events { try event.insert(db) }
            try profile?.insert(db)
            try pageTrace?.insert(db)
        }
    }

    /// The traced trials' page traces, by trial index.
    public func readPageTraces() throws(RunStoreError) -> [Int: PageTraceRecord] {
        try read { db in
            let records = try PageTraceRecord.fetchAll(db)
            return Dictionary(records.map { ($0.trialIndex, $0) }, uniquingKeysWith: { $1 })
        }
    }

    /// The profiled trials' profiles, by trial index.
    public func readProfiles() throws(RunStoreError) -> [Int: ProfileRecord] {
        try read { db in
            let records = try ProfileRecord.fetchAll(db)
            return Dictionary(records.map { ($0.trialIndex, $0) }, uniquingKeysWith: { $1 })
        }
    }

    /// The whole run, in three queries per table rather than one per request.
    /// The experiment row alone (name, status, start and finish): what a study checks before it
    /// reuses a run, without reading its trials.
    public func readExperiment() throws(RunStoreError) -> ExperimentRecord? {
        try read { db in try ExperimentRecord.fetchOne(db, key: 1) }
    }

    public func readRun() throws(RunStoreError) -> StoredRun {
        let path = self.path
        return try read { db in
            guard let experiment = try ExperimentRecord.fetchOne(db, key: 1) else {
                throw RunStoreError(.read, "\(path) holds no experiment run (an inferlab bench file?)")
            }
            let records = try TrialRecord.order(Column("idx")).fetchAll(db)
            let requests = try RequestRow.filter(sql: "step >= 0").order(Column("id")).fetchAll(db)
            var requestsByRun: [Int64: [RequestRow]] = [:]
            for request in requests { requestsByRun[request.runId, default: []].append(request) }
            var contentTimes: [Int64: [MonotonicInstant]] = [:]
            let content = try Row.fetchCursor(
                db,
                sql: """
                    SELECT events.request_id, events.t_ns FROM events JOIN requests ON requests.id = events.request_id
                    WHERE requests.step >= 0 AND events.kind = 'content' ORDER BY events.request_id, events.idx
                    """)
            while let row = try content.next() {
                contentTimes[row[0], default: []].append(MonotonicInstant(column: row[1]))
            }
            var samples: [Int: [ProbeSample]] = [:]
            for record in try ProbeSampleRecord.order(Column("trial_idx"), Column("t_ns")).fetchAll(db) {
                samples[record.trialIndex, default: []].append(record.sample)
            }
            var steps: [Int: [StepRecord]] = [:]
            for record in try EngineStepRecord.order(Column("trial_idx"), Column("start_ns")).fetchAll(db) {
                steps[record.trialIndex, default: []].append(record.step)
            }
            var outcomes: [Int: [ConstraintOutcomeRecord]] = [:]
            for record in try ConstraintOutcomeRecord.order(Column("trial_idx"), Column("name")).fetchAll(db) {
                outcomes[record.trialIndex, default: []].append(record)
            }
            let trials = records.map { record in
                let own = record.benchRunId.flatMap { requestsByRun[$0] } ?? []
                return StoredTrial(
                    record: record, requests: own,
                    contentTimes: own.reduce(into: [:]) { times, request in
                        if let id = request.id { times[id] = contentTimes[id] ?? [] }
                    }, samples: samples[record.index] ?? [], steps: steps[record.index] ?? [],
                    outcomes: outcomes[record.index] ?? [])
            }
            let events = try RunEventRecord.order(Column("t_ns")).fetchAll(db)
            return StoredRun(experiment: experiment, trials: trials, events: events)
        }
    }
}
