import Logging
import Synchronization

/// A logger whose lines a test can read: each line's message and metadata, in order.
final class LogRecorder: Sendable {
    struct Line: Sendable {
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    var recorded: [Line] { lines.withLock { $0 } }

    var logger: Logger { Logger(label: "test") { _ in Handler(recorder: self) } }

    /// The `id` of every `request` line the server wrote (one per request as it ends).
    var requestIds: [String] { recorded.filter { $0.message == "request" }.compactMap { $0.metadata["id"] } }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(Line(message: "\(event.message)", metadata: all.mapValues { "\($0)" }))
        }
    }
}
