import GRDB

/// Every table of a results file, as named migrations applied in order. A migration that has
/// shipped is never edited: a change of schema is a new migration, so files written by earlier
/// versions open through the migrations they lack.
///
/// - `v1-bench`: `runs`, `requests`, `events` (`inferlab bench`).
/// - `experiment-v1`: `experiment`, `trials`, `probe_samples`, `run_events` (`inferlab run`).
/// - `v2-typed-run-store`: `engine_steps`, `constraint_outcomes` (the trials' `controls_json` moved
///   there), matrix settings as `{variable, value}` text pairs, and `store_info` (which version wrote
///   the file).
/// - `v3-explain`: `engine_steps` gains `index` (the step's number) and `requests` (each request's
///   share of the step, as JSON), `StepRecord`'s keys; steps of earlier files read as index 0 with
///   no shares.
/// - `v4-profile`: `trial_profiles`, each profiled trial's folded stacks and scheduler view.
/// - `v5-page-trace`: `trial_page_traces`, each traced trial's page-cache summary and series.
/// - `v6-workloads`: `requests` gains `session` and `turn` (multi-turn sessions); `server_metrics`
///   holds the target's Prometheus series scraped during a bench run.
enum RunSchema {
    /// The schema version this build writes and reads (the number of `v6-...` in the last migration).
    static let version = 6

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-bench", migrate: createBench)
        migrator.registerMigration("experiment-v1", migrate: createExperiment)
        migrator.registerMigration("v2-typed-run-store", migrate: typedRunStore)
        migrator.registerMigration("v3-explain", migrate: explain)
        migrator.registerMigration("v4-profile", migrate: profile)
        migrator.registerMigration("v5-page-trace", migrate: pageTrace)
        migrator.registerMigration("v6-workloads", migrate: workloads)
        return migrator
    }

    private static func createBench(_ db: Database) throws {
        try db.create(table: "runs") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("tool", .text).notNull()
            t.column("tool_version", .text).notNull()
            t.column("started_at", .text).notNull()
            t.column("start_monotonic_ns", .integer).notNull()
            t.column("finished_at", .text)
            t.column("target_url", .text).notNull()
            t.column("api", .text).notNull()
            t.column("model", .text).notNull()
            t.column("scenario", .text).notNull()
            t.column("configuration_json", .text).notNull()
            t.column("server_info_json", .text)
            t.column("summary_json", .text)
        }
        try db.create(table: "requests") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("run_id", .integer).notNull().references("runs", onDelete: .cascade)
            t.column("step", .integer).notNull()
            t.column("seq", .integer).notNull()
            t.column("corpus_id", .text).notNull()
            t.column("class", .text).notNull()
            t.column("scheduled_ns", .integer).notNull()
            t.column("sent_ns", .integer).notNull()
            t.column("first_content_ns", .integer)
            t.column("last_event_ns", .integer)
            t.column("lag_ms", .double).notNull()
            t.column("ttft_ms", .double)
            t.column("tpot_ms", .double)
            t.column("e2e_ms", .double)
            t.column("decode_tokens_per_s", .double)
            t.column("prompt_tokens", .integer)
            t.column("prompt_tokens_source", .text)
            t.column("completion_tokens", .integer).notNull()
            t.column("completion_tokens_source", .text).notNull()
            t.column("content_events", .integer).notNull()
            t.column("status", .integer)
            t.column("error_class", .text)
            t.column("error_message", .text)
            t.column("finish_reason", .text)
            t.column("server_predicted_per_second", .double)
            t.column("server_timings_json", .text)
        }
        try db.create(index: "requests_run", on: "requests", columns: ["run_id", "step", "seq"])
        try db.create(table: "events") { t in
            t.column("request_id", .integer).notNull().references("requests", onDelete: .cascade)
            t.column("idx", .integer).notNull()
            t.column("t_ns", .integer).notNull()
            t.column("kind", .text).notNull()
            t.column("bytes", .integer).notNull()
            t.primaryKey(["request_id", "idx"])
        }
    }

    private static func createExperiment(_ db: Database) throws {
        try db.create(table: "experiment") { t in
            t.column("id", .integer).primaryKey()
            t.column("name", .text).notNull()
            t.column("spec_yaml", .text).notNull()
            t.column("spec_json", .text).notNull()
            t.column("provenance_json", .text).notNull()
            t.column("started_at", .text).notNull()
            t.column("finished_at", .text)
            t.column("status", .text).notNull()
        }
        try db.create(table: "trials") { t in
            t.column("idx", .integer).primaryKey()
            t.column("level", .integer).notNull()
            t.column("repetition", .integer).notNull()
            t.column("label", .text).notNull()
            t.column("settings_json", .text).notNull()
            t.column("config_json", .text).notNull()
            t.column("status", .text).notNull()
            t.column("failure", .text)
            t.column("bench_run_id", .integer)
            t.column("started_ns", .integer).notNull()
            t.column("ended_ns", .integer).notNull()
            t.column("engine_pid", .integer)
            t.column("engine_exit_status", .integer)
            t.column("engine_signal", .integer)
            t.column("oom_kills", .integer)
            t.column("controls_json", .text).notNull()
            t.column("cgroup_json", .text)
            t.column("summary_json", .text)
        }
        try db.create(table: "probe_samples") { t in
            t.column("trial_idx", .integer).notNull().references("trials", onDelete: .cascade)
            t.column("t_ns", .integer).notNull()
            t.column("sample_json", .text).notNull()
        }
        try db.create(index: "probe_samples_trial", on: "probe_samples", columns: ["trial_idx", "t_ns"])
        try db.create(table: "run_events") { t in
            t.column("trial_idx", .integer)
            t.column("t_ns", .integer).notNull()
            t.column("kind", .text).notNull()
            t.column("detail", .text).notNull()
        }
    }

    private static func typedRunStore(_ db: Database) throws {
        try db.create(table: "store_info") { t in
            t.column("key", .text).primaryKey()
            t.column("value", .text).notNull()
        }
        try db.create(table: "engine_steps") { t in
            t.column("trial_idx", .integer).notNull().references("trials", onDelete: .cascade)
            t.column("start_ns", .integer).notNull()
            t.column("duration_ms", .double).notNull()
            t.column("decode_tokens", .integer).notNull()
            t.column("prompt_tokens", .integer).notNull()
            t.column("prompt_sequences", .integer).notNull()
            t.column("running", .integer).notNull()
            t.column("waiting", .integer).notNull()
        }
        try db.create(index: "engine_steps_trial", on: "engine_steps", columns: ["trial_idx", "start_ns"])
        try db.create(table: "constraint_outcomes") { t in
            t.column("trial_idx", .integer).notNull().references("trials", onDelete: .cascade)
            t.column("name", .text).notNull()
            t.column("applied", .boolean).notNull()
            t.column("value", .text)
            t.column("reason", .text).notNull()
            t.column("residency_before", .double)
            t.column("residency_after", .double)
            t.primaryKey(["trial_idx", "name"])
        }
        // Trials of schema 1 kept their controls as one JSON object; each is a row now.
        try db.execute(
            sql: """
                INSERT INTO constraint_outcomes
                    (trial_idx, name, applied, value, reason, residency_before, residency_after)
                SELECT trials.idx, c.key, json_extract(c.value, '$.applied'), json_extract(c.value, '$.value'),
                       json_extract(c.value, '$.reason'), json_extract(c.value, '$.residency_before'),
                       json_extract(c.value, '$.residency_after')
                FROM trials, json_each(trials.controls_json) AS c
                """)
        try db.alter(table: "trials") { t in t.drop(column: "controls_json") }
        // Schema 1 stored a setting's value typed ({"type": "number", "value": 1.5}); it is the
        // value's text now, as the file writes it.
        try db.execute(
            sql: """
                UPDATE trials SET settings_json = (
                    SELECT COALESCE(json_group_array(json_object(
                        'variable', json_extract(s.value, '$.variable'),
                        'value', CASE json_extract(s.value, '$.value.type')
                            WHEN 'none' THEN 'none'
                            WHEN 'flag' THEN CASE json_extract(s.value, '$.value.value') WHEN 1 THEN 'on' ELSE 'off' END
                            ELSE CAST(json_extract(s.value, '$.value.value') AS TEXT) END)), json('[]'))
                    FROM json_each(trials.settings_json) AS s)
                WHERE settings_json LIKE '%"type"%'
                """)
    }

    private static func explain(_ db: Database) throws {
        try db.alter(table: "engine_steps") { t in
            t.add(column: "index", .integer).notNull().defaults(to: 0)
            t.add(column: "requests", .text).notNull().defaults(to: "[]")
        }
    }

    private static func profile(_ db: Database) throws {
        try db.create(table: "trial_profiles") { t in
            t.column("trial_idx", .integer).primaryKey()
            t.column("hz", .integer).notNull()
            t.column("call_graph", .text).notNull()
            t.column("samples", .integer).notNull()
            t.column("folded", .text).notNull()
            t.column("sched", .text)
            t.column("failure", .text)
        }
    }

    private static func pageTrace(_ db: Database) throws {
        try db.create(table: "trial_page_traces") { t in
            t.column("trial_idx", .integer).primaryKey()
            t.column("summary", .text).notNull()
            t.column("series", .text)
            t.column("disk_ceiling", .text)
            t.column("failure", .text)
        }
    }

    private static func workloads(_ db: Database) throws {
        try db.alter(table: "requests") { t in
            t.add(column: "session", .text)
            t.add(column: "turn", .integer)
        }
        try db.create(table: "server_metrics") { t in
            t.column("run_id", .integer).notNull().references("runs", onDelete: .cascade)
            t.column("t_ns", .integer).notNull()
            t.column("name", .text).notNull()
            t.column("labels", .text).notNull()
            t.column("value", .double).notNull()
        }
        try db.create(index: "server_metrics_run", on: "server_metrics", columns: ["run_id", "name", "t_ns"])
    }
}
