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

    /// In one pass over `text`: the page-cache events of `inode` ("dev 254:0 ino 9264c0
    /// pfn=0x1f2d3 ofs=4096 order=0" after the usual task, CPU and time columns) and the block
    /// requests ("254,0 R 131072 () 2048 + 256 none,0,0 [comm]" when issued, "254,0 R () 2048 +
    /// 256 none,0,0 [0]" when completed; each completion matched to the oldest open request of the
    /// same sector and length), in order.
    public static func parse(_ text: String, inode: UInt64) -> (pages: [PageCacheEvent], requests: [BlockRequest]) {
        struct Extent: Hashable {
            var sector: UInt64
            var sectors: UInt64
        }
        var pages: [PageCacheEvent] = []
        var requests: [BlockRequest] = []
        var open: [Extent: [Int]] = [:]
        for line in text.split(separator: "\n") where line.first != "#" {
            guard let header = SchedTrace.header(line) else { continue }
            let body = header.body
            if body.hasPrefix("mm_filemap_") {
                let kind: PageCacheEvent.Kind
                if body.hasPrefix("mm_filemap_add_to_page_cache: ") {
                    kind = .added
                } else if body.hasPrefix("mm_filemap_delete_from_page_cache: ") {
                    kind = .removed
                } else {
                    continue
                }
                guard let ino = SchedTrace.field(body, " ino ", until: " ").flatMap({ UInt64($0, radix: 16) }),
                    ino == inode,
                    let offset = SchedTrace.field(body, " ofs=", until: " ").flatMap({ UInt64($0) })
                else { continue }
                let order = SchedTrace.field(body, " order=", until: " ").flatMap { Int($0) } ?? 0
                pages.append(
                    PageCacheEvent(
                        time: header.time, kind: kind, inode: ino, offset: offset, pages: 1 << min(order, 20),
                        task: header.task))
                continue
            }
            let issue = body.hasPrefix("block_rq_issue: ")
            guard issue || body.hasPrefix("block_rq_complete: ") else { continue }
            let words = body.split(separator: " ")
            guard words.count >= 4, let plus = words.firstIndex(of: "+"), plus > words.startIndex,
                plus + 1 < words.endIndex, let sector = UInt64(words[plus - 1]), let sectors = UInt64(words[plus + 1])
            else { continue }
            let extent = Extent(sector: sector, sectors: sectors)
            if issue {
                open[extent, default: []].append(requests.count)
                requests.append(
                    BlockRequest(
                        issued: header.time, completed: nil, operation: String(words[2]), sector: sector,
                        sectors: sectors))
            } else if let index = open[extent]?.first {
                open[extent]?.removeFirst()
                requests[index].completed = header.time
            }
        }
        return (pages, requests)
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

    enum CodingKeys: String, CodingKey {
        case device, requests
        case readBytes = "read_bytes", averageRequestBytes = "average_request_bytes"
        case sequentialFraction = "sequential_fraction", latencyMs = "latency_ms"
    }

    public static func of(_ requests: [BlockRequest], device: String) -> BlockSummary {
        let reads = requests.filter(\.isRead)
        let bytes = reads.reduce(UInt64(0)) { $0 + $1.bytes }
        let sequential = zip(reads, reads.dropFirst()).filter { previous, next in
            let end = (previous.sector + previous.sectors) * 512
            let start = next.sector * 512
            return (start >= end ? start - end : end - start) <= PageTrace.sequentialGapBytes
        }.count
        let latencies = reads.compactMap { request in request.completed.map { ($0 - request.issued).milliseconds } }
        return BlockSummary(
            device: device, requests: reads.count, readBytes: bytes,
            averageRequestBytes: reads.isEmpty ? 0 : Double(bytes) / Double(reads.count),
            sequentialFraction: reads.count > 1 ? Double(sequential) / Double(reads.count - 1) : 1,
            latencyMs: latencies.isEmpty ? nil : PercentileSummary.of(latencies))
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

        enum CodingKeys: String, CodingKey {
            case name, layer
            case pagesIn = "pages_in", rereadPages = "reread_pages", filePages = "file_pages", firstMs = "first_ms"
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

    enum CodingKeys: String, CodingKey {
        case file, reads
        case fileBytes = "file_bytes", pagesIn = "pages_in", pagesOut = "pages_out"
        case distinctPagesIn = "distinct_pages_in", rereadPages = "reread_pages"
        case averageReadBytes = "average_read_bytes", sequentialFraction = "sequential_fraction"
        case headerPages = "header_pages", byTensor = "by_tensor", durationMs = "duration_ms"
        case lostEvents = "lost_events", block
    }

    /// Sums `events` (in time order) of `file` (`fileBytes` long, its GGUF `tensors` if it is a
    /// model) traced from `start` to `end`.
    public static func of(
        _ events: [PageCacheEvent], file: String, fileBytes: UInt64, tensors: [GGUFTensor], start: MonotonicInstant,
        end: MonotonicInstant, lostEvents: Int = 0
    ) -> PageTraceSummary {
        let page = PageTrace.pageBytes
        // Per page brought in: how many times, and when first.
        var timesIn: [UInt64: (count: Int, first: MonotonicInstant)] = [:]
        var pagesIn = 0
        var pagesOut = 0
        var runs: [(start: UInt64, end: UInt64)] = []
        var additions = 0
        var sequential = 0
        var previousEnd: UInt64?
        for event in events {
            let first = event.offset / page
            let range = first..<(first + UInt64(event.pages))
            switch event.kind {
            case .removed:
                pagesOut += event.pages
            case .added:
                pagesIn += event.pages
                for index in range { timesIn[index, default: (0, event.time)].count += 1 }
                if let end = previousEnd {
                    let start = range.lowerBound * page
                    let gap = start >= end * page ? start - end * page : end * page - start
                    if gap <= PageTrace.sequentialGapBytes { sequential += 1 }
                    additions += 1
                }
                previousEnd = range.upperBound
                if let last = runs.last, last.end == range.lowerBound {
                    runs[runs.count - 1].end = range.upperBound
                } else {
                    runs.append((range.lowerBound, range.upperBound))
                }
            }
        }
        let reread = timesIn.values.reduce(0) { $0 + max(0, $1.count - 1) }
        let bytes = runs.map { Double(($0.end - $0.start) * page) }

        // Pages to tensors, both in file order (a tensor is `[fileOffset, fileOffset + size)`):
        // one sweep; a page counts for every tensor it holds bytes of (norms share pages).
        let ordered = tensors.sorted { $0.fileOffset < $1.fileOffset }
        var byTensor: [Int: TensorPages] = [:]
        var headerPages = 0
        var cursor = 0
        for index in timesIn.keys.sorted() {
            let (count, firstTime) = timesIn[index]!
            let offset = index * page
            while cursor < ordered.count, ordered[cursor].fileOffset + ordered[cursor].size <= offset { cursor += 1 }
            var current = cursor
            while current < ordered.count, ordered[current].fileOffset < offset + page {
                let tensor = ordered[current]
                let first = tensor.fileOffset / page
                let last = (tensor.fileOffset + max(tensor.size, 1) - 1) / page
                var entry =
                    byTensor[current]
                    ?? TensorPages(
                        name: tensor.name, layer: tensor.layer, pagesIn: 0, rereadPages: 0,
                        filePages: Int(last - first + 1), firstMs: .infinity)
                entry.pagesIn += count
                entry.rereadPages += max(0, count - 1)
                entry.firstMs = min(entry.firstMs, (firstTime - start).milliseconds)
                byTensor[current] = entry
                current += 1
            }
            if current == cursor { headerPages += count }
        }
        return PageTraceSummary(
            file: file, fileBytes: fileBytes, pagesIn: pagesIn, pagesOut: pagesOut, distinctPagesIn: timesIn.count,
            rereadPages: reread, reads: runs.count,
            averageReadBytes: bytes.isEmpty ? 0 : bytes.reduce(0, +) / Double(bytes.count),
            sequentialFraction: additions > 0 ? Double(sequential) / Double(additions) : 1,
            headerPages: headerPages, byTensor: byTensor.keys.sorted().map { byTensor[$0]! },
            durationMs: (end - start).milliseconds, lostEvents: lostEvents)
    }
}

/// `inferlab probe --file PATH --page-trace -- CMD`: the file's page cache traced from before
/// the command starts (so the model's load is in it) until it ends.
public enum PageTracing {
    /// Runs `command` (gated: tracing is on before it runs) with every page-cache event of
    /// `file` traced, in every task's context (faults of the command, readahead, kswapd's
    /// evictions), narrowed in the kernel to the file's inode. Returns the summary and the
    /// command's raw wait status.
    public static func run(file: String, command: [String], bufferKB: Int = 32_768) async throws
        -> (summary: PageTraceSummary, status: Int32)
    {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw TraceError(.system, "cannot stat \(file): \(String(cString: strerror(errno)))")
        }
        let disk = PageTrace.blockDevice(of: UInt64(info.st_dev))
        let kernelDevice = (UInt64(disk.major) << 20) | UInt64(disk.minor)
        var filters: [String: String] = [:]
        for event in PageTrace.events { filters[event] = "i_ino == \(info.st_ino)" }
        for event in PageTrace.blockEvents { filters[event] = "dev == \(kernelDevice)" }
        let session = try TraceSession.open(
            events: PageTrace.events + PageTrace.blockEvents, pids: nil, filters: filters, bufferKB: bufferKB)
        defer { session.close() }
        let child = try GatedChild.spawn(command)
        let start = MonotonicInstant.now()
        child.release()
        let status = await child.wait()
        let end = MonotonicInstant.now()
        session.stop()
        // Read only now: before, this process's own read of the header would put its pages in
        // the cache ahead of the command.
        let tensors = (try? GGUFHeader.read(path: file).tensors) ?? []
        let trace = PageTrace.parse(session.read(), inode: UInt64(info.st_ino))
        var summary = PageTraceSummary.of(
            trace.pages, file: file, fileBytes: UInt64(info.st_size), tensors: tensors, start: start, end: end,
            lostEvents: session.overruns)
        summary.block = BlockSummary.of(trace.requests, device: "\(disk.major):\(disk.minor)")
        return (summary, status)
    }
}
