import AsyncHTTPClient
import Foundation
public import InferLabCore
import NIOCore
import Synchronization

/// One value of one series of the target's Prometheus endpoint, at the scrape's time on the
/// bench's clock: on the same timeline as the requests.
public struct ServerMetricSample: Sendable, Codable, Equatable {
    public var time: MonotonicInstant
    /// The metric name, e.g. `llamacpp:requests_deferred`.
    public var name: String
    /// The labels as written, e.g. `{model="m"}`; empty when none.
    public var labels: String
    public var value: Double

    public init(time: MonotonicInstant, name: String, labels: String, value: Double) {
        self.time = time
        self.name = name
        self.labels = labels
        self.value = value
    }
}

/// What the scrapes of a run gathered.
public struct ServerMetricsSeries: Sendable, Codable, Equatable {
    public var url: String
    public var scrapes: Int
    public var failedScrapes: Int
    /// The first failure's reason, when a scrape failed.
    public var firstFailure: String?
    public var samples: [ServerMetricSample]
    /// The scrape taken as the first measured window began (after the warm-up).
    public var measuredFrom: MonotonicInstant?

    public init(
        url: String, scrapes: Int = 0, failedScrapes: Int = 0, firstFailure: String? = nil,
        samples: [ServerMetricSample] = []
    ) {
        self.url = url
        self.scrapes = scrapes
        self.failedScrapes = failedScrapes
        self.firstFailure = firstFailure
        self.samples = samples
    }

    /// The gauges that say how many requests wait in the server's queue, by server.
    public static let queueGauges = ["inferlab_queue_depth", "llamacpp:requests_deferred", "vllm:num_requests_waiting"]
    /// The gauges of running requests and of KV use.
    public static let loadGauges = [
        "inferlab_running_sequences", "llamacpp:requests_processing", "vllm:num_requests_running",
        "inferlab_kv_cells_used", "llamacpp:kv_cache_usage_ratio", "vllm:kv_cache_usage_perc",
        "vllm:gpu_cache_usage_perc",
    ]

    /// Peak of each queue, running and KV gauge seen (summed over labels per scrape).
    public var peaks: [String: Double] {
        sums { Self.queueGauges.contains($0.name) || Self.loadGauges.contains($0.name) }.mapValues {
            $0.values.max() ?? 0
        }
    }

    /// Each series of the samples `included` takes, summed over its labels at each scrape:
    /// name -> scrape time (ns) -> value.
    private func sums(_ included: (ServerMetricSample) -> Bool) -> [String: [UInt64: Double]] {
        var perScrape: [String: [UInt64: Double]] = [:]
        for sample in samples where included(sample) {
            perScrape[sample.name, default: [:]][sample.time.nanoseconds, default: 0] += sample.value
        }
        return perScrape
    }

    /// How much each counter (`*_total`, summed over labels) grew from the scrape at the start of
    /// the measured windows (after the warm-up) to the one after the last window: e.g. the tokens the server generated during the run, to hold against the tokens
    /// the client received (what hung-up clients cost).
    public var counterGrowth: [String: Double] {
        let from = measuredFrom ?? .zero
        return sums { $0.name.hasSuffix("_total") && $0.time >= from }.compactMapValues { byTime in
            guard let first = byTime.keys.min(), let last = byTime.keys.max(), last > first else { return nil }
            return byTime[last]! - byTime[first]!
        }
    }

    enum CodingKeys: String, CodingKey {
        case url, scrapes, samples
        case failedScrapes = "failed_scrapes"
        case firstFailure = "first_failure"
        case measuredFrom = "measured_from_ns"
    }
}

/// Parses the Prometheus text exposition format (version 0.0.4): one `name{labels} value
/// [timestamp]` per line, `#` comments skipped. Histogram buckets are dropped (their `_sum`
/// and `_count` stay): the bench keeps the series that fit on a timeline.
public enum PrometheusText {
    public static func parse(_ text: String, at time: MonotonicInstant) -> [ServerMetricSample] {
        var out: [ServerMetricSample] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            var name = Substring(line)
            var labels = ""
            var rest: Substring
            if let brace = line.firstIndex(of: "{") {
                guard let close = line.lastIndex(of: "}"), close > brace else { continue }
                name = line[..<brace]
                labels = String(line[brace...close])
                rest = line[line.index(after: close)...]
            } else {
                guard let space = line.firstIndex(of: " ") else { continue }
                name = line[..<space]
                rest = line[space...]
            }
            guard !name.hasSuffix("_bucket") else { continue }
            let fields = rest.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            let value: Double
            switch first {
            case "+Inf": value = .infinity
            case "-Inf": value = -.infinity
            case "NaN": value = .nan
            default:
                guard let v = Double(first) else { continue }
                value = v
            }
            guard value.isFinite else { continue }
            out.append(ServerMetricSample(time: time, name: String(name), labels: labels, value: value))
        }
        return out
    }
}

/// Scrapes a Prometheus endpoint at a fixed interval while a bench runs.
final class ServerMetricsScraper: Sendable {
    private let state: Mutex<ServerMetricsSeries>
    private let queue = Mutex<Double?>(nil)
    let url: String
    let interval: Double

    init(url: String, interval: Double) {
        self.url = url
        self.interval = interval
        state = Mutex(ServerMetricsSeries(url: url))
    }

    /// The server's queue depth at the last scrape, when it exports a known queue gauge.
    var queueDepth: Double? { queue.withLock { $0 } }

    var series: ServerMetricsSeries { state.withLock { $0 } }

    /// Scrapes until cancelled.
    func run(http: HTTPClient) async {
        var next = MonotonicInstant.now()
        while !Task.isCancelled {
            await scrape(http: http)
            next += .seconds(clamping: interval)
            let now = MonotonicInstant.now()
            if next > now {
                do { try await Task.sleep(for: next - now) } catch { return }
            } else {
                next = now
            }
        }
    }

    /// Scrapes now and marks the start of the measured windows there.
    func markMeasured(http: HTTPClient) async {
        let time = MonotonicInstant.now()
        await scrape(http: http)
        state.withLock { $0.measuredFrom = time }
    }

    func scrape(http: HTTPClient) async {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let time = MonotonicInstant.now()
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(max(1, interval.rounded(.up)))))
            guard response.status == .ok else { throw ScrapeError(reason: "HTTP \(response.status.code)") }
            let body = try await response.body.collect(upTo: 16 << 20)
            let samples = PrometheusText.parse(String(buffer: body), at: time)
            let depth = samples.filter { ServerMetricsSeries.queueGauges.contains($0.name) }.map(\.value)
            queue.withLock { $0 = depth.isEmpty ? nil : depth.reduce(0, +) }
            state.withLock {
                $0.scrapes += 1
                $0.samples += samples
            }
        } catch {
            // A scrape cut short by the end of the run is not a failed scrape.
            if Task.isCancelled || error is CancellationError { return }
            state.withLock {
                $0.scrapes += 1
                $0.failedScrapes += 1
                if $0.firstFailure == nil { $0.firstFailure = "\(error)" }
            }
        }
    }

    struct ScrapeError: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }
}
