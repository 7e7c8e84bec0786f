import Constraints
import Foundation
import Profiling
import RunStore

/// `probe: {page_trace: true}` for one trial: the model file's page cache and its disk's block
/// requests traced from before the engine starts (so its load is in the trace) to the end of the
/// load, the window marked when the engine is ready. The disk's ceiling is measured once per
/// device (cached). Written beside the run (`page-trace-trial-N.json`) and stored
/// (`trial_page_traces`); what could not run is the `page_trace` control's reason.
struct TrialPageTrace {
    let trial: Int
    let outcome: ControlOutcome
    private let recorder: PageTraceRecorder?
    private let ceiling: String?
    private let file: URL

    init(trial: Int, file: String, runDirectory: URL) {
        self.trial = trial
        self.file = runDirectory.appendingPathComponent("page-trace-trial-\(trial).json")
        // Before the trace: its O_DIRECT reads pass the page cache by, but not the trace's time.
        var ceilingNote = ""
        do {
            let measured = try DiskCeiling.of(file: file)
            ceiling = Self.json(measured)
            ceilingNote = String(
                format: "; disk ceiling %.0f MB/s sequential, %.1f MB/s random 4 KiB", measured.sequentialMBps,
                measured.random4KMBps)
        } catch {
            ceiling = nil
            ceilingNote = "; no disk ceiling: \(error)"
        }
        do {
            let started = try PageTraceRecorder.start(file: file)
            recorder = started
            outcome = .applied(
                "tracefs filemap add/delete narrowed to the file's inode, block_rq_issue/complete of \(started.device)"
                    + ceilingNote)
        } catch {
            recorder = nil
            outcome = .notApplied("\(error)")
        }
    }

    /// The engine is ready: the window starts.
    func mark() { recorder?.mark() }

    /// Stops the trace; the stored record (nil when it never ran).
    func finish() -> PageTraceRecord? {
        guard let recorder else { return nil }
        let (summary, series) = recorder.finish()
        let text = Self.json(summary) ?? ""
        try? Data(text.utf8).write(to: file)
        return PageTraceRecord(trialIndex: trial, summary: text, series: Self.json(series), diskCeiling: ceiling)
    }

    static func json(_ value: some Encodable) -> String? {
        (try? PageTraceJSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }
}
