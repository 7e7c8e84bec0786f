/// Where a bench run is recorded as it goes. `RunStore` (a results file) is the one
/// implementation; the runner calls `started` once before the first window, `recorded` after
/// each window and `finished` at the end, so an interrupted run keeps every finished window.
public protocol BenchRecording: Sendable {
    /// Records the run's start; returns its id.
    func started(_ configuration: BenchConfiguration, serverInfo: String?) throws -> Int64
    /// Records one window's requests (failed ones included) and their events.
    func recorded(_ records: [RequestRecord], step: Int, run: Int64) throws
    /// Records the target's scraped metrics (`server_metrics`), beside the requests.
    func recorded(serverMetrics: [ServerMetricSample], run: Int64) throws
    /// Records the run's summary.
    func finished(_ summary: BenchSummary, run: Int64) throws
}
