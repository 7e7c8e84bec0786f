import GRDB
import ResultStore

/// The experiment tables, added to the bench schema (runs, requests, events) of `ResultStore`:
/// one `experiment` row, a `trials` row per trial (finished, failed or cancelled), the probe
/// samples of each trial, and notable events (an OOM kill, an engine exit).
enum RunSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = ResultStore.makeMigrator()
        migrator.registerMigration("experiment-v1") { db in
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
        return migrator
    }
}
