import Foundation
import InferLabCore
import InferenceCore

/// An append-only JSONL file of `StepRecord`s, one `write(2)` per step (so a crash loses at
/// most the step in flight). Owned by the engine thread.
final class StepLog {
    private let descriptor: Int32

    init(path: String) throws(EngineError) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EngineError(
                .invalidParameter, "cannot open the step log \(path): \(String(cString: strerror(errno)))",
                parameter: "step_log")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Appends one record. A failed write (disk full) drops the record, never the step.
    func append(_ record: StepRecord) {
        _ = writeAll(record.jsonLine, to: descriptor)
    }
}
