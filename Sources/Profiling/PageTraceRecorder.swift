#if canImport(Glibc)
    import Glibc
#endif
import Constraints
import Foundation
public import InferLabCore
import SystemProbe
import Synchronization

/// The page cache of one file traced while something runs: the filemap events narrowed in the
/// kernel to the file's inode, the block requests to its disk, read from the instance's
/// `trace_pipe` as they come (so no ring buffer has to hold a whole run) and summed by a
/// `PageTraceAccumulator`. `finish()` stops it and gives the summary and the series; the trace
/// instance is removed on every path (and by the next run's leftover finder after a SIGKILL).
public final class PageTraceRecorder: Sendable {
    public let file: String
    /// The disk as `major:minor`.
    public let device: String
    public let start: MonotonicInstant
    private let session: TraceSession
    private let inode: UInt64
    private let readaheadKB: Int?

    private struct State: Sendable {
        var pages: PageTraceAccumulator
        var blocks = BlockRequests()
        var finished: (PageTraceSummary, PageTraceSeries)?
    }
    private let state: Mutex<State>
    private let stopping = Atomic<Bool>(false)
    private let reader = DispatchSemaphore(value: 0)

    private init(
        file: String, device: String, session: TraceSession, inode: UInt64, readaheadKB: Int?,
        accumulator: PageTraceAccumulator
    ) {
        self.file = file
        self.device = device
        self.session = session
        self.inode = inode
        self.readaheadKB = readaheadKB
        start = accumulator.start
        state = Mutex(State(pages: accumulator))
    }

    /// Starts tracing `file`. Its GGUF header is read first (to map pages to tensors) and the
    /// header pages that reading brought in are dropped again, so a cold file stays cold.
    public static func start(file: String, bufferKB: Int = 32_768, binMilliseconds: Double = 250) throws
        -> PageTraceRecorder
    {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw TraceError(.system, "cannot stat \(file): \(String(cString: strerror(errno)))")
        }
        let fileBytes = UInt64(info.st_size)
        let resident = Self.residentPages(file)
        let tensors = (try? GGUFHeader.read(path: file).tensors) ?? []
        Self.dropPagesBroughtIn(file, residentBefore: resident, bytes: fileBytes)

        let disk = PageTrace.blockDevice(of: UInt64(info.st_dev))
        let kernelDevice = (UInt64(disk.major) << 20) | UInt64(disk.minor)
        var filters: [String: String] = [:]
        for event in PageTrace.events { filters[event] = "i_ino == \(info.st_ino)" }
        for event in PageTrace.blockEvents { filters[event] = "dev == \(kernelDevice)" }
        let session = try TraceSession.open(
            events: PageTrace.events + PageTrace.blockEvents, pids: nil, filters: filters, bufferKB: bufferKB)
        let fd = open(session.instance + "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            session.close()
            throw TraceError(.system, "cannot open \(session.instance)/trace_pipe: \(reason)")
        }
        let readahead = ProcFS.read("/sys/dev/block/\(disk.major):\(disk.minor)/queue/read_ahead_kb")
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let recorder = PageTraceRecorder(
            file: file, device: "\(disk.major):\(disk.minor)", session: session, inode: UInt64(info.st_ino),
            readaheadKB: readahead,
            accumulator: PageTraceAccumulator(
                fileBytes: fileBytes, tensors: tensors, start: .now(), binMilliseconds: binMilliseconds,
                resident: resident))
        let thread = Thread { recorder.readPipe(fd) }
        thread.name = "inferlab-pagetrace"
        thread.start()
        return recorder
    }

    /// The measured window starts now.
    public func mark() {
        let now = MonotonicInstant.now()
        state.withLock { $0.pages.mark(at: now) }
    }

    /// Stops tracing, reads what is left, removes the instance; the summary and the series.
    /// Idempotent.
    @discardableResult
    public func finish() -> (summary: PageTraceSummary, series: PageTraceSeries) {
        if let done = state.withLock({ $0.finished }) { return done }
        let end = MonotonicInstant.now()
        session.stop()
        if !stopping.exchange(true, ordering: .sequentiallyConsistent) { reader.wait() }
        let lost = session.overruns
        session.close()
        let file = file
        let device = device
        let readaheadKB = readaheadKB
        return state.withLock { state in
            if let done = state.finished { return done }
            var summary = state.pages.summary(file: file, end: end, lostEvents: lost)
            summary.block = BlockSummary.of(state.blocks.all, device: device)
            summary.readaheadKB = readaheadKB
            if summary.window != nil, let since = state.pages.windowStart {
                summary.window?.block = BlockSummary.of(state.blocks.all, device: device, since: since)
            }
            let done = (summary, state.pages.series())
            state.finished = done
            return done
        }
    }

    /// The reader thread: `trace_pipe` (non-blocking) until asked to stop, then until it is empty.
    private func readPipe(_ fd: Int32) {
        defer {
            close(fd)
            reader.signal()
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var pending: [UInt8] = []
        var drainingAfterStop = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.append(contentsOf: buffer[0..<count])
                guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                consume(pending[...lastNewline])
                pending.removeSubrange(...lastNewline)
                continue
            }
            if count < 0, errno != EAGAIN, errno != EINTR { return }
            if stopping.load(ordering: .sequentiallyConsistent) {
                // Once more after the stop was seen: what arrived before tracing stopped is read.
                if drainingAfterStop { return }
                drainingAfterStop = true
                continue
            }
            usleep(20_000)
        }
    }

    /// Whole lines: page events through the byte-level fast path, anything else (block requests)
    /// through `PageTrace.line`; summed under the lock once per read.
    private func consume(_ bytes: ArraySlice<UInt8>) {
        let inode = inode
        var lines: [PageTrace.Line] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            for index in 0..<buffer.count where buffer[index] == UInt8(ascii: "\n") {
                let line = UnsafeBufferPointer(rebasing: buffer[start..<index])
                start = index + 1
                if let event = PageTrace.fastPage(line, inode: inode) {
                    lines.append(.page(event))
                } else if Self.mentionsBlock(line),
                    let parsed = PageTrace.line(Substring(String(decoding: line, as: UTF8.self)), inode: inode)
                {
                    lines.append(parsed)
                }
            }
        }
        guard !lines.isEmpty else { return }
        state.withLock { state in
            for line in lines {
                switch line {
                case .page(let event): state.pages.add(event)
                case .issue(let request): state.blocks.issue(request)
                case .complete(let sector, let sectors, let time):
                    state.blocks.complete(sector: sector, sectors: sectors, at: time)
                }
            }
        }
    }

    /// Whether a line holds "block_rq_" (the only other events the instance has).
    static let blockMarker = Array("block_rq_".utf8)

    static func mentionsBlock(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let marker = blockMarker
        guard line.count >= marker.count else { return false }
        for index in 0...(line.count - marker.count) where line[index] == marker[0] {
            var match = true
            for offset in 1..<marker.count where line[index + offset] != marker[offset] {
                match = false
                break
            }
            if match { return true }
        }
        return false
    }

    static func residentPages(_ file: String) -> [Bool]? { try? FileResidency.residentPages(path: file).bitmap }

    /// Drops from the cache the pages of `file` that were not resident before (what reading its
    /// header just brought in).
    static func dropPagesBroughtIn(_ file: String, residentBefore: [Bool]?, bytes: UInt64) {
        guard let before = residentBefore, let after = residentPages(file) else { return }
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let page = Int(PageTrace.pageBytes)
        for index in after.indices where after[index] && !(index < before.count && before[index]) {
            _ = posix_fadvise(fd, off_t(index * page), off_t(page), POSIX_FADV_DONTNEED)
        }
    }
}
