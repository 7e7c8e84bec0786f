public import GRDB
public import LoadGen

/// A row of `runs`: one invocation of the load generator.
public struct RunRow: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "runs"
    public var id: Int64?
    public var tool: String
    public var toolVersion: String
    /// ISO 8601 wall-clock start.
    public var startedAt: String
    /// `MonotonicInstant.now()` at the start, the origin of every `*_ns` column of the run.
    public var startMonotonicNs: Int64
    public var finishedAt: String?
    public var targetUrl: String
    public var api: String
    public var model: String
    public var scenario: String
    /// The full configuration.
    public var configuration: BenchConfiguration
    /// What `/v1/models` answered, verbatim (nil when it did not answer): the server's document.
    public var serverInfoJson: String?
    /// The summary, written when the run finishes.
    public var summary: BenchSummary?

    enum CodingKeys: String, CodingKey {
        case id, tool, api, model, scenario
        case toolVersion = "tool_version"
        case startedAt = "started_at"
        case startMonotonicNs = "start_monotonic_ns"
        case finishedAt = "finished_at"
        case targetUrl = "target_url"
        case configuration = "configuration_json"
        case serverInfoJson = "server_info_json"
        case summary = "summary_json"
    }

    public init(
        tool: String, toolVersion: String, startedAt: String, startMonotonicNs: Int64,
        configuration: BenchConfiguration, serverInfoJson: String?
    ) {
        self.tool = tool
        self.toolVersion = toolVersion
        self.startedAt = startedAt
        self.startMonotonicNs = startMonotonicNs
        targetUrl = configuration.url
        api = configuration.api.rawValue
        model = configuration.model
        scenario = configuration.scenario.rawValue
        self.configuration = configuration
        self.serverInfoJson = serverInfoJson
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `requests`: one measured request, failed or not.
public struct RequestRow: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "requests"
    public var id: Int64?
    public var runId: Int64
    public var step: Int
    public var seq: Int
    public var corpusId: String
    public var `class`: String
    public var scheduledNs: Int64
    public var sentNs: Int64
    public var firstContentNs: Int64?
    public var lastEventNs: Int64?
    public var lagMs: Double
    public var ttftMs: Double?
    public var tpotMs: Double?
    public var e2eMs: Double?
    public var decodeTokensPerS: Double?
    public var promptTokens: Int?
    public var promptTokensSource: String?
    public var completionTokens: Int
    public var completionTokensSource: String
    public var contentEvents: Int
    public var status: Int?
    public var errorClass: String?
    public var errorMessage: String?
    public var finishReason: String?
    public var serverPredictedPerSecond: Double?
    /// The final chunk's `timings` (the server's view: queue, prefill, decode), as the server sent them.
    public var serverTimings: ServerTimings?
    /// The multi-turn session and the 0-based turn (v6; nil for single requests).
    public var session: String?
    public var turn: Int?

    enum CodingKeys: String, CodingKey {
        case id, runId, step, seq, corpusId, `class`, scheduledNs, sentNs, firstContentNs, lastEventNs, lagMs, ttftMs
        case tpotMs, e2eMs, decodeTokensPerS, promptTokens, promptTokensSource, completionTokens
        case completionTokensSource, contentEvents, status, errorClass, errorMessage, finishReason
        case serverPredictedPerSecond
        case serverTimings = "serverTimingsJson"  // the column server_timings_json, through the snake-case strategy
        case session, turn
    }

    public init(
        runId: Int64, step: Int, seq: Int, corpusId: String, class: String, scheduledNs: Int64, sentNs: Int64,
        firstContentNs: Int64?, lastEventNs: Int64?, lagMs: Double, ttftMs: Double?, tpotMs: Double?, e2eMs: Double?,
        decodeTokensPerS: Double?, promptTokens: Int?, promptTokensSource: String?, completionTokens: Int,
        completionTokensSource: String, contentEvents: Int, status: Int?, errorClass: String?, errorMessage: String?,
        finishReason: String?, serverPredictedPerSecond: Double?, serverTimings: ServerTimings?, session: String? = nil,
        turn: Int? = nil
    ) {
        self.runId = runId
        self.step = step
        self.seq = seq
        self.corpusId = corpusId
        self.class = `class`
        self.scheduledNs = scheduledNs
        self.sentNs = sentNs
        self.firstContentNs = firstContentNs
        self.lastEventNs = lastEventNs
        self.lagMs = lagMs
        self.ttftMs = ttftMs
        self.tpotMs = tpotMs
        self.e2eMs = e2eMs
        self.decodeTokensPerS = decodeTokensPerS
        self.promptTokens = promptTokens
        self.promptTokensSource = promptTokensSource
        self.completionTokens = completionTokens
        self.completionTokensSource = completionTokensSource
        self.contentEvents = contentEvents
        self.status = status
        self.errorClass = errorClass
        self.errorMessage = errorMessage
        self.finishReason = finishReason
        self.serverPredictedPerSecond = serverPredictedPerSecond
        self.serverTimings = serverTimings
        self.session = session
        self.turn = turn
    }

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `events`: one SSE event of one request, with its receipt time.
public struct EventRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "events"
    public var requestId: Int64
    /// 0-based position in the stream.
    public var idx: Int
    /// `MonotonicInstant` time the event was complete in the client.
    public var tNs: Int64
    /// `content`, `usage`, `done`, `error` or `other`.
    public var kind: String
    /// Size of the event's data in bytes.
    public var bytes: Int

    public init(requestId: Int64, idx: Int, tNs: Int64, kind: String, bytes: Int) {
        self.requestId = requestId
        self.idx = idx
        self.tNs = tNs
        self.kind = kind
        self.bytes = bytes
    }

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
}

/// A row of `server_metrics`: one value of one series of the target's Prometheus endpoint at a
/// scrape, on the bench's monotonic clock.
public struct ServerMetricRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "server_metrics"
    public var runId: Int64
    public var tNs: Int64
    public var name: String
    public var labels: String
    public var value: Double

    public init(runId: Int64, tNs: Int64, name: String, labels: String, value: Double) {
        self.runId = runId
        self.tNs = tNs
        self.name = name
        self.labels = labels
        self.value = value
    }

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
}
