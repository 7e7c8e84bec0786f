#if canImport(Glibc)
    import Glibc
#endif
import Constraints
public import InferLabCore
public import SystemProbe

/// One page-cache event of a file, from tracefs `filemap:mm_filemap_add_to_page_cache` (pages
/// brought in: a fault, a read, readahead) or `mm_filemap_delete_from_page_cache` (evicted).
public struct PageCacheEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case added, removed
    }

    public var time: MonotonicInstant
    public var kind: Kind
    /// The file's inode number.
    public var inode: UInt64
    /// The byte offset of the first page in the file.
    public var offset: UInt64
    /// Pages of the folio (`1 << order`).
    public var pages: Int
    /// The task in whose context the kernel did it (the faulting thread, kswapd, ...).
    public var task: TraceTask

    public init(time: MonotonicInstant, kind: Kind, inode: UInt64, offset: UInt64, pages: Int, task: TraceTask) {
        self.time = time
        self.kind = kind
        self.inode = inode
        self.offset = offset
        self.pages = pages
        self.task = task
    }
}

/// The page-cache trace of one file: parsing the filemap events, and what they add up to.
public enum PageTrace {
    /// The events tracefs has for the page cache.
    public static let events = ["filemap/mm_filemap_add_to_page_cache", "filemap/mm_filemap_delete_from_page_cache"]
    /// The block layer's requests, issued to the driver and completed.
    public static let blockEvents = ["block/block_rq_issue", "block/block_rq_complete"]
    /// The page size the events count in (`ofs` is the page index << 12 on every architecture
    /// that prints it).
    public static let pageBytes: UInt64 = 4096
    /// The seed's definition of sequential: the next read starts within 128 KiB of where the
    /// previous one ended.
    public static let sequentialGapBytes: UInt64 = 128 << 10

    /// One line of the trace, as far as the page trace cares.
    public enum Line: Sendable, Equatable {
        case page(PageCacheEvent)
        case issue(BlockRequest)
        /// A completion: the sector and length it names, when.
        case complete(sector: UInt64, sectors: UInt64, time: MonotonicInstant)
    }

    /// A line of the trace: a page-cache event of `inode` ("dev 254:0 ino 9264c0 pfn=0x1f2d3
    /// ofs=4096 order=0" after the usual task, CPU and time columns) or a block request ("254,0 R
    /// 131072 () 2048 + 256 none,0,0 [comm]" when issued, "254,0 R () 2048 + 256 none,0,0 [0]"
    /// when completed); `nil` for anything else.
    public static func line(_ line: Substring, inode: UInt64) -> Line? {
        guard line.first != "#", let header = SchedTrace.header(line) else { return nil }
        let body = header.body
        if body.hasPrefix("mm_filemap_") {
            let kind: PageCacheEvent.Kind
            if body.hasPrefix("mm_filemap_add_to_page_cache: ") {
                kind = .added
            } else if body.hasPrefix("mm_filemap_delete_from_page_cache: ") {
                kind = .removed
            } else {
                return nil
            }
            guard let ino = SchedTrace.field(body, " ino ", until: " ").flatMap({ UInt64($0, radix: 16) }),
                ino == inode,
                let offset = SchedTrace.field(body, " ofs=", until: " ").flatMap({ UInt64($0) })
            else { return nil }
            let order = SchedTrace.field(body, " order=", until: " ").flatMap { Int($0) } ?? 0
            return .page(
                PageCacheEvent(
                    time: header.time, kind: kind, inode: ino, offset: offset, pages: 1 << min(order, 20),
                    task: header.task))
        }
        let issue = body.hasPrefix("block_rq_issue: ")
        guard issue || body.hasPrefix("block_rq_complete: ") else { return nil }
        let words = body.split(separator: " ")
        guard words.count >= 4, let plus = words.firstIndex(of: "+"), plus > words.startIndex,
            plus + 1 < words.endIndex, let sector = UInt64(words[plus - 1]), let sectors = UInt64(words[plus + 1])
        else { return nil }
        if issue {
            return .issue(
                BlockRequest(
                    issued: header.time, completed: nil, operation: String(words[2]), sector: sector, sectors: sectors))
        }
        return .complete(sector: sector, sectors: sectors, time: header.time)
    }

    /// What `fastPage` looks for, made once (it runs for every line of a thrashing model's trace).
    static let fastMarker = Array(": mm_filemap_".utf8)
    static let fastKeys = (ino: Array(" ino ".utf8), offset: Array(" ofs=".utf8), order: Array(" order=".utf8))

    /// The page-cache event of one line, read from its bytes without building strings: what the
    /// recorder calls for the millions of lines a thrashing model makes (`line` is the reference,
    /// and handles everything else). `nil` when the line is no page event of `inode` or does not
    /// parse; the task is left empty (nothing sums by it).
    public static func fastPage(_ line: UnsafeBufferPointer<UInt8>, inode: UInt64) -> PageCacheEvent? {
        let count = line.count
        let marker = fastMarker
        var start = -1
        var index = 0
        while index + marker.count <= count {
            if line[index] == marker[0], line[index + 1] == marker[1], line[index + 2] == marker[2],
                line[index + 3] == marker[3], line[index + 5] == marker[5], line[index + 12] == marker[12]
            {
                var match = true
                for offset in 4..<marker.count where line[index + offset] != marker[offset] {
                    match = false
                    break
                }
                if match {
                    start = index
                    break
                }
            }
            index += 1
        }
        guard start > 0 else { return nil }
        // The timestamp: the word before the marker, "SECONDS.MICROS".
        var stampStart = start
        while stampStart > 0, line[stampStart - 1] != UInt8(ascii: " ") { stampStart -= 1 }
        var seconds: UInt64 = 0
        var fraction: UInt64 = 0
        var digits = 0
        var afterDot = false
        for position in stampStart..<start {
            let byte = line[position]
            if byte == UInt8(ascii: ".") {
                afterDot = true
            } else if byte >= 48, byte <= 57 {
                if afterDot {
                    fraction = fraction * 10 + UInt64(byte - 48)
                    digits += 1
                } else {
                    seconds = seconds * 10 + UInt64(byte - 48)
                }
            } else {
                return nil
            }
        }
        guard afterDot, digits > 0, digits <= 9 else { return nil }
        for _ in digits..<9 { fraction *= 10 }
        let kind: PageCacheEvent.Kind
        let rest = start + marker.count
        if rest < count, line[rest] == UInt8(ascii: "a") {
            kind = .added
        } else if rest < count, line[rest] == UInt8(ascii: "d") {
            kind = .removed
        } else {
            return nil
        }
        func number(after bytes: [UInt8], radix: UInt64) -> UInt64? {
            var at = rest
            while at + bytes.count <= count {
                var match = true
                for offset in 0..<bytes.count where line[at + offset] != bytes[offset] {
                    match = false
                    break
                }
                if match {
                    var value: UInt64 = 0
                    var cursor = at + bytes.count
                    var any = false
                    while cursor < count {
                        let byte = line[cursor]
                        let digit: UInt64
                        if byte >= 48, byte <= 57 {
                            digit = UInt64(byte - 48)
                        } else if radix == 16, byte >= 97, byte <= 102 {
                            digit = UInt64(byte - 87)
                        } else {
                            break
                        }
                        value = value * radix + digit
                        any = true
                        cursor += 1
                    }
                    return any ? value : nil
                }
                at += 1
            }
            return nil
        }
        guard let ino = number(after: fastKeys.ino, radix: 16), ino == inode,
            let offset = number(after: fastKeys.offset, radix: 10)
        else { return nil }
        let order = number(after: fastKeys.order, radix: 10) ?? 0
        return PageCacheEvent(
            time: MonotonicInstant(nanoseconds: seconds * 1_000_000_000 + fraction), kind: kind, inode: ino,
            offset: offset, pages: 1 << min(Int(order), 20), task: TraceTask(pid: 0, comm: ""))
    }

    /// In one pass over `text`: the page-cache events of `inode` and the block requests, each
    /// completion matched to the oldest open request of the same sector and length, in order.
    public static func parse(_ text: String, inode: UInt64) -> (pages: [PageCacheEvent], requests: [BlockRequest]) {
        var pages: [PageCacheEvent] = []
        var requests = BlockRequests()
        for text in text.split(separator: "\n") {
            switch line(text, inode: inode) {
            case .page(let event): pages.append(event)
            case .issue(let request): requests.issue(request)
            case .complete(let sector, let sectors, let time):
                requests.complete(sector: sector, sectors: sectors, at: time)
            case nil: continue
            }
        }
        return (pages, requests.all)
    }
}

/// Block requests as they are issued and completed: a completion closes the oldest open request
/// of the same sector and length.
public struct BlockRequests: Sendable {
    private struct Extent: Hashable {
        var sector: UInt64
        var sectors: UInt64
    }
    public private(set) var all: [BlockRequest] = []
    private var open: [Extent: [Int]] = [:]

    public init() {}

    public mutating func issue(_ request: BlockRequest) {
        open[Extent(sector: request.sector, sectors: request.sectors), default: []].append(all.count)
        all.append(request)
    }

    public mutating func complete(sector: UInt64, sectors: UInt64, at time: MonotonicInstant) {
        let extent = Extent(sector: sector, sectors: sectors)
        guard let index = open[extent]?.first else { return }
        open[extent]?.removeFirst()
        if open[extent]?.isEmpty == true { open[extent] = nil }
        all[index].completed = time
    }
}

/// One block-layer request of the device, from `block_rq_issue` to `block_rq_complete`.
public struct BlockRequest: Sendable, Equatable {
    public var issued: MonotonicInstant
    public var completed: MonotonicInstant?
    /// `R`, `RA` (readahead), `W`, `WS`, ... as the kernel prints `rwbs`.
    public var operation: String
    public var sector: UInt64
    public var sectors: UInt64
    public var isRead: Bool { operation.contains("R") }
    public var bytes: UInt64 { sectors * 512 }
}

extension PageTrace {
    /// The device the block layer sees for a file on `device` (st_dev): a partition's disk.
    public static func blockDevice(of device: UInt64) -> (major: UInt32, minor: UInt32) {
        let major = UInt32((device >> 8) & 0xfff) | UInt32((device >> 32) & ~0xfff)
        let minor = UInt32(device & 0xff) | UInt32((device >> 12) & ~0xff)
        let sys = "/sys/dev/block/\(major):\(minor)"
        if ProcFS.exists(sys + "/partition"), let disk = ProcFS.read(sys + "/../dev") {
            let parts = disk.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
            if parts.count == 2, let diskMajor = UInt32(parts[0]), let diskMinor = UInt32(parts[1]) {
                return (diskMajor, diskMinor)
            }
        }
        return (major, minor)
    }
}

/// The device's block requests while the command ran (every file's: the block layer does not
/// name files), reads only.
public struct BlockSummary: Sendable, Codable, Equatable {
    public var device: String
    public var requests: Int
    public var readBytes: UInt64
    public var averageRequestBytes: Double
    /// The seed's definition: the share of requests starting within 128 KiB of where the
    /// previous one ended.
    public var sequentialFraction: Double
    /// Issue to completion.
    public var latencyMs: PercentileSummary?
    /// Readahead requests (`RA`) and their mean size: the readahead window as the disk saw it.
    public var readaheadRequests: Int = 0
    public var readaheadAverageBytes: Double = 0
    /// Time at least one read was outstanding (the union of issue-to-completion spans): how long
    /// something waited on the disk, however many requests overlapped.
    public var busyMs: Double = 0

    enum CodingKeys: String, CodingKey {
        case device, requests
        case readBytes = "read_bytes", averageRequestBytes = "average_request_bytes"
        case sequentialFraction = "sequential_fraction", latencyMs = "latency_ms"
        case readaheadRequests = "readahead_requests", readaheadAverageBytes = "readahead_average_bytes"
        case busyMs = "busy_ms"
    }

    /// The reads among `requests` issued at or after `since` (all when `nil`).
    public static func of(_ requests: [BlockRequest], device: String, since: MonotonicInstant? = nil) -> BlockSummary {
        let reads = requests.filter { request in request.isRead && since.map { request.issued >= $0 } ?? true }
        let bytes = reads.reduce(UInt64(0)) { $0 + $1.bytes }
        let sequential = zip(reads, reads.dropFirst()).filter { previous, next in
            let end = (previous.sector + previous.sectors) * 512
            let start = next.sector * 512
            return (start >= end ? start - end : end - start) <= PageTrace.sequentialGapBytes
        }.count
        let latencies = reads.compactMap { request in request.completed.map { ($0 - request.issued).milliseconds } }
        let readahead = reads.filter { $0.operation.contains("A") }
        let readaheadBytes = readahead.reduce(UInt64(0)) { $0 + $1.bytes }
        var busy = Intervals()
        for request in reads { if let done = request.completed { busy.append(request.issued, done) } }
        busy.normalize()
        let average: Double = reads.isEmpty ? 0 : Double(bytes) / Double(reads.count)
        let fraction: Double = reads.count > 1 ? Double(sequential) / Double(reads.count - 1) : 1
        return BlockSummary(
            device: device, requests: reads.count, readBytes: bytes,
            averageRequestBytes: average, sequentialFraction: fraction,
            latencyMs: latencies.isEmpty ? nil : PercentileSummary.of(latencies),
            readaheadRequests: readahead.count,
            readaheadAverageBytes: readahead.isEmpty ? 0 : Double(readaheadBytes) / Double(readahead.count),
            busyMs: busy.total.milliseconds)
    }
}

/// What a file's page-cache events add up to; the JSON of `inferlab probe --page-trace`.
public struct PageTraceSummary: Sendable, Codable, Equatable {
    /// One tensor's share of the pages brought in.
    public struct TensorPages: Sendable, Codable, Equatable {
        public var name: String
        public var layer: String
        public var pagesIn: Int
        /// Its pages brought in more than once (evicted and read again).
        public var rereadPages: Int
        /// The pages its bytes span in the file.
        public var filePages: Int
        /// When its first page came in, ms after the trace started.
        public var firstMs: Double
        /// The seed's rule on the reads of this tensor alone (each against the previous one that
        /// started in the tensor).
        public var sequentialFraction: Double = 1

        enum CodingKeys: String, CodingKey {
            case name, layer
            case pagesIn = "pages_in", rereadPages = "reread_pages", filePages = "file_pages", firstMs = "first_ms"
            case sequentialFraction = "sequential_fraction"
        }
    }

    /// The same counts from the mark on (a trial: from the engine being ready to the end of the
    /// load), when there was a mark.
    public struct Window: Sendable, Codable, Equatable {
        public var startMs: Double
        public var durationMs: Double
        public var pagesIn: Int
        public var pagesOut: Int
        public var rereadPages: Int
        public var reads: Int
        public var averageReadBytes: Double
        public var sequentialFraction: Double
        /// The device's reads in the window.
        public var block: BlockSummary?

        enum CodingKeys: String, CodingKey {
            case reads, block
            case startMs = "start_ms", durationMs = "duration_ms", pagesIn = "pages_in", pagesOut = "pages_out"
            case rereadPages = "reread_pages", averageReadBytes = "average_read_bytes"
            case sequentialFraction = "sequential_fraction"
        }
    }

    public var file: String
    public var fileBytes: UInt64
    /// Pages brought into the cache (a folio counts its pages).
    public var pagesIn: Int
    /// Pages evicted.
    public var pagesOut: Int
    /// Distinct pages brought in.
    public var distinctPagesIn: Int
    /// Pages brought in more than once.
    public var rereadPages: Int
    /// Runs of pages brought in one after another at contiguous offsets: a sequential stream
    /// (a loader's read, readahead windows back to back) is one run, random faults are many.
    /// The block layer's request sizes are another measure (not traced yet).
    public var reads: Int
    /// Their mean length in bytes.
    public var averageReadBytes: Double
    /// The seed's definition applied to the page stream: the share of pages (folios) brought in
    /// that start within 128 KiB of where the previous one ended.
    public var sequentialFraction: Double
    /// Pages brought in that hold no tensor's bytes (the header and the tensor table).
    public var headerPages: Int
    /// Per tensor touched, in file order; a page shared by two tensors counts for both.
    public var byTensor: [TensorPages]
    public var durationMs: Double
    /// Events the ring buffer dropped: when not 0 the counts are low.
    public var lostEvents: Int
    /// The device's block requests meanwhile, when they were traced.
    public var block: BlockSummary?
    /// From the mark on, when there was one.
    public var window: Window?
    /// The device's `read_ahead_kb` when the trace started.
    public var readaheadKB: Int?

    enum CodingKeys: String, CodingKey {
        case file, reads
        case fileBytes = "file_bytes", pagesIn = "pages_in", pagesOut = "pages_out"
        case distinctPagesIn = "distinct_pages_in", rereadPages = "reread_pages"
        case averageReadBytes = "average_read_bytes", sequentialFraction = "sequential_fraction"
        case headerPages = "header_pages", byTensor = "by_tensor", durationMs = "duration_ms"
        case lostEvents = "lost_events", block, window
        case readaheadKB = "readahead_kb"
    }

    /// Sums `events` (in time order) of `file` (`fileBytes` long, its GGUF `tensors` if it is a
    /// model) traced from `start` to `end`.
    public static func of(
        _ events: [PageCacheEvent], file: String, fileBytes: UInt64, tensors: [GGUFTensor], start: MonotonicInstant,
        end: MonotonicInstant, lostEvents: Int = 0
    ) -> PageTraceSummary {
        var accumulator = PageTraceAccumulator(fileBytes: fileBytes, tensors: tensors, start: start)
        for event in events { accumulator.add(event) }
        return accumulator.summary(file: file, end: end, lostEvents: lostEvents)
    }
}

/// `inferlab probe --file PATH --page-trace -- CMD`: the file's page cache traced from before
/// the command starts (so the model's load is in it) until it ends.
public enum PageTracing {
    /// Runs `command` (gated: tracing is on before it runs) with every page-cache event of
    /// `file` traced (`PageTraceRecorder`). Returns the summary and the command's raw wait status.
    public static func run(file: String, command: [String], bufferKB: Int = 32_768) async throws
        -> (summary: PageTraceSummary, status: Int32)
    {
        let recorder = try PageTraceRecorder.start(file: file, bufferKB: bufferKB)
        let child: GatedChild
        do {
            child = try GatedChild.spawn(command)
        } catch {
            _ = recorder.finish()
            throw error
        }
        child.release()
        let status = await child.wait()
        return (recorder.finish().summary, status)
    }
}
