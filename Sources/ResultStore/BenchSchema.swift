import GRDB

/// The base tables written by `inferlab bench`: one row per run, per request, per stream event.
enum BenchSchema {
    static func createV1(_ db: Database) throws {
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
}
