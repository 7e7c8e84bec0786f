public import Foundation
public import InferLabCore
public import SystemProbe

/// A file's page-cache events summed as they arrive, so a trace of any length (a model read
/// again for every token is tens of millions of events) is kept in memory of the file's size:
/// a count per page, the runs and the seed's sequential rule, per tensor and per layer over time.
public struct PageTraceAccumulator: Sendable {
    /// The counters of a stretch of the trace: all of it, or the window after `mark`.
    public struct Counters: Sendable, Equatable {
        public var pagesIn = 0
        public var pagesOut = 0
        /// Pages brought in that had been brought in before (evicted and read again).
        public var rereadPages = 0
        /// Additions after the first, and how many of them followed the previous one within 128 KiB.
        var followers = 0
        var sequential = 0
        /// Closed runs of contiguous pages and their pages.
        var runs = 0
        var runPages = 0

        public var sequentialFraction: Double { followers > 0 ? Double(sequential) / Double(followers) : 1 }
        func averageReadBytes(open: Int) -> Double {
            let count = runs + (open > 0 ? 1 : 0)
            return count > 0 ? Double((runPages + open) * Int(PageTrace.pageBytes)) / Double(count) : 0
        }
    }

    public let start: MonotonicInstant
    public let fileBytes: UInt64
    /// Tensors in file order.
    let tensors: [GGUFTensor]
    /// The first tensor holding bytes of each page, -1 for none (the header, padding).
    let tensorOfPage: [Int32]
    /// Layers in file order, "header" first; each tensor's index into it.
    public let layers: [String]
    let layerOfTensor: [Int]
    public let binMilliseconds: Double

    /// Per page: times brought in, and when first (ns after `start`).
    var timesIn: [Int32]
    var firstIn: [Int64]
    public private(set) var total = Counters()
    public private(set) var window = Counters()
    /// When `mark` was called (the measured window's start).
    public private(set) var windowStart: MonotonicInstant?
    private var previousEnd: UInt64?
    private var run: (start: UInt64, end: UInt64, time: MonotonicInstant)?
    /// Per tensor: additions after its first, how many within 128 KiB of its previous one, its
    /// previous end.
    var tensorFollowers: [Int]
    var tensorSequential: [Int]
    private var tensorPreviousEnd: [UInt64]
    /// Per layer, per bin: pages in, re-read pages, pages out; the resident pages at the start.
    var binsIn: [[Int]]
    var binsReread: [[Int]]
    var binsOut: [[Int]]
    let initialResident: [Int]
    /// Runs as (ms after start, first page, pages, layer), thinned to at most `segmentCap` by
    /// keeping every `segmentStride`-th.
    var segments: [PageTraceSeries.Segment] = []
    private var segmentStride = 1
    private var segmentsSeen = 0
    let segmentCap: Int

    /// For a file of `fileBytes` holding `tensors` (none if not a model); `resident` is the
    /// page-cache state at the start (one flag per page; `nil`: nothing resident).
    public init(
        fileBytes: UInt64, tensors: [GGUFTensor], start: MonotonicInstant, binMilliseconds: Double = 250,
        resident: [Bool]? = nil, segmentCap: Int = 40_000
    ) {
        self.start = start
        self.fileBytes = fileBytes
        self.binMilliseconds = binMilliseconds
        self.segmentCap = segmentCap
        let page = PageTrace.pageBytes
        let pageCount = Int((fileBytes + page - 1) / page)
        let ordered = tensors.sorted { $0.fileOffset < $1.fileOffset }
        self.tensors = ordered
        var tensorOfPage = [Int32](repeating: -1, count: pageCount)
        for (index, tensor) in ordered.enumerated().reversed() where tensor.size > 0 {
            let first = Int(tensor.fileOffset / page)
            let last = min(pageCount - 1, Int((tensor.fileOffset + tensor.size - 1) / page))
            if first <= last { for page in first...last { tensorOfPage[page] = Int32(index) } }
        }
        self.tensorOfPage = tensorOfPage
        var layers = ["header"]
        var layerIndex: [String: Int] = ["header": 0]
        layerOfTensor = ordered.map { tensor in
            if let index = layerIndex[tensor.layer] { return index }
            layerIndex[tensor.layer] = layers.count
            layers.append(tensor.layer)
            return layers.count - 1
        }
        self.layers = layers
        timesIn = [Int32](repeating: 0, count: pageCount)
        firstIn = [Int64](repeating: 0, count: pageCount)
        tensorFollowers = [Int](repeating: 0, count: ordered.count)
        tensorSequential = tensorFollowers
        tensorPreviousEnd = [UInt64](repeating: .max, count: ordered.count)
        binsIn = Array(repeating: [], count: layers.count)
        binsReread = binsIn
        binsOut = binsIn
        var initial = [Int](repeating: 0, count: layers.count)
        if let resident {
            for (page, isResident) in resident.prefix(pageCount).enumerated() where isResident {
                initial[Self.layer(ofPage: page, tensorOfPage: tensorOfPage, layerOfTensor: layerOfTensor)] += 1
            }
        }
        initialResident = initial
    }

    private static func layer(ofPage page: Int, tensorOfPage: [Int32], layerOfTensor: [Int]) -> Int {
        let tensor = tensorOfPage[page]
        return tensor < 0 ? 0 : layerOfTensor[Int(tensor)]
    }

    func layer(ofPage page: Int) -> Int {
        page < tensorOfPage.count
            ? Self.layer(ofPage: page, tensorOfPage: tensorOfPage, layerOfTensor: layerOfTensor) : 0
    }

    /// From now on the window's counters count too.
    public mutating func mark(at time: MonotonicInstant = .now()) {
        windowStart = time
        window = Counters()
    }

    private func bin(_ time: MonotonicInstant) -> Int {
        max(0, Int((time - start).milliseconds / binMilliseconds))
    }

    private static func add(_ value: Int, _ bins: inout [Int], at bin: Int) {
        if bins.count <= bin { bins.append(contentsOf: repeatElement(0, count: bin + 1 - bins.count)) }
        bins[bin] += value
    }

    public mutating func add(_ event: PageCacheEvent) {
        let page = PageTrace.pageBytes
        let first = event.offset / page
        let range = first..<(first + UInt64(event.pages))
        let bin = bin(event.time)
        let inWindow = windowStart.map { event.time >= $0 } ?? false
        switch event.kind {
        case .removed:
            total.pagesOut += event.pages
            if inWindow { window.pagesOut += event.pages }
            for index in range where index < UInt64(timesIn.count) {
                Self.add(1, &binsOut[layer(ofPage: Int(index))], at: bin)
            }
        case .added:
            total.pagesIn += event.pages
            if inWindow { window.pagesIn += event.pages }
            for index in range where index < UInt64(timesIn.count) {
                let page = Int(index)
                let layer = layer(ofPage: page)
                if timesIn[page] == 0 {
                    firstIn[page] = Int64((event.time - start).nanoseconds)
                } else {
                    total.rereadPages += 1
                    if inWindow { window.rereadPages += 1 }
                    Self.add(1, &binsReread[layer], at: bin)
                }
                timesIn[page] &+= 1
                Self.add(1, &binsIn[layer], at: bin)
            }
            if let end = previousEnd {
                let gap = Self.gap(from: end, to: range.lowerBound)
                total.followers += 1
                if inWindow { window.followers += 1 }
                if gap <= PageTrace.sequentialGapBytes {
                    total.sequential += 1
                    if inWindow { window.sequential += 1 }
                }
            }
            previousEnd = range.upperBound
            if first < UInt64(tensorOfPage.count), tensorOfPage[Int(first)] >= 0 {
                let tensor = Int(tensorOfPage[Int(first)])
                let end = tensorPreviousEnd[tensor]
                if end != .max {
                    tensorFollowers[tensor] += 1
                    if Self.gap(from: end, to: range.lowerBound) <= PageTrace.sequentialGapBytes {
                        tensorSequential[tensor] += 1
                    }
                }
                tensorPreviousEnd[tensor] = range.upperBound
            }
            if let open = run, open.end == range.lowerBound {
                run?.end = range.upperBound
            } else {
                closeRun()
                run = (range.lowerBound, range.upperBound, event.time)
            }
        }
    }

    /// Bytes between where the previous read ended and the next starts, both in pages.
    private static func gap(from end: UInt64, to start: UInt64) -> UInt64 {
        (start >= end ? start - end : end - start) * PageTrace.pageBytes
    }

    private mutating func closeRun() {
        guard let open = run else { return }
        run = nil
        let pages = Int(open.end - open.start)
        total.runs += 1
        total.runPages += pages
        if let windowStart, open.time >= windowStart {
            window.runs += 1
            window.runPages += pages
        }
        segmentsSeen += 1
        guard segmentsSeen % segmentStride == 0 else { return }
        segments.append(
            PageTraceSeries.Segment(
                ms: (open.time - start).milliseconds, page: Int(open.start), pages: pages,
                layer: layer(ofPage: Int(open.start))))
        if segments.count >= segmentCap {
            // Keep every other one and halve the rate from now on.
            segments = segments.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            segmentStride *= 2
        }
    }

    /// The summary of the trace up to `end`.
    public mutating func summary(file: String, end: MonotonicInstant, lostEvents: Int = 0) -> PageTraceSummary {
        closeRun()
        let page = PageTrace.pageBytes
        var byTensor: [Int: PageTraceSummary.TensorPages] = [:]
        var headerPages = 0
        var distinct = 0
        for (index, count) in timesIn.enumerated() where count > 0 {
            distinct += 1
            let offset = UInt64(index) * page
            var tensor = Int(tensorOfPage[index])
            if tensor < 0 {
                headerPages += Int(count)
                continue
            }
            // Every tensor holding bytes of this page: the first one and the ones starting in it.
            while tensor < tensors.count, tensors[tensor].fileOffset < offset + page {
                let held = tensors[tensor]
                if held.fileOffset + max(held.size, 1) > offset {
                    let first = held.fileOffset / page
                    let last = (held.fileOffset + max(held.size, 1) - 1) / page
                    var entry =
                        byTensor[tensor]
                        ?? PageTraceSummary.TensorPages(
                            name: held.name, layer: held.layer, pagesIn: 0, rereadPages: 0,
                            filePages: Int(last - first + 1), firstMs: .infinity,
                            sequentialFraction: tensorFollowers[tensor] > 0
                                ? Double(tensorSequential[tensor]) / Double(tensorFollowers[tensor]) : 1)
                    entry.pagesIn += Int(count)
                    entry.rereadPages += max(0, Int(count) - 1)
                    entry.firstMs = min(entry.firstMs, Double(firstIn[index]) / 1e6)
                    byTensor[tensor] = entry
                }
                tensor += 1
            }
        }
        var summary = PageTraceSummary(
            file: file, fileBytes: fileBytes, pagesIn: total.pagesIn, pagesOut: total.pagesOut,
            distinctPagesIn: distinct, rereadPages: total.rereadPages, reads: total.runs,
            averageReadBytes: total.averageReadBytes(open: 0), sequentialFraction: total.sequentialFraction,
            headerPages: headerPages, byTensor: byTensor.keys.sorted().map { byTensor[$0]! },
            durationMs: (end - start).milliseconds, lostEvents: lostEvents)
        if let windowStart {
            summary.window = PageTraceSummary.Window(
                startMs: (windowStart - start).milliseconds, durationMs: (end - windowStart).milliseconds,
                pagesIn: window.pagesIn, pagesOut: window.pagesOut, rereadPages: window.rereadPages,
                reads: window.runs, averageReadBytes: window.averageReadBytes(open: 0),
                sequentialFraction: window.sequentialFraction)
        }
        return summary
    }

    /// The per-layer series for the charts.
    public func series() -> PageTraceSeries {
        let bins = ([binsIn, binsReread, binsOut].flatMap { $0 }.map(\.count).max() ?? 0)
        let padded = { (rows: [[Int]]) in rows.map { $0 + Array(repeating: 0, count: bins - $0.count) } }
        let pagesIn = padded(binsIn)
        let pagesOut = padded(binsOut)
        var filePages = [Int](repeating: 0, count: layers.count)
        for page in tensorOfPage.indices { filePages[layer(ofPage: page)] += 1 }
        // Clamped to the layer's pages: an eviction the ring buffer lost must not count twice.
        var resident: [[Int]] = []
        for layer in layers.indices {
            var level = initialResident[layer]
            resident.append(
                (0..<bins).map { bin in
                    level = min(filePages[layer], max(0, level + pagesIn[layer][bin] - pagesOut[layer][bin]))
                    return level
                })
        }
        return PageTraceSeries(
            binMs: binMilliseconds, startMs: 0, windowStartMs: windowStart.map { ($0 - start).milliseconds },
            layers: layers, layerPages: filePages, pagesIn: pagesIn, rereadPages: padded(binsReread),
            pagesOut: pagesOut, resident: resident, segments: segments, segmentStride: segmentStride)
    }
}

/// The JSON of page traces as stored and read back (a value that is not finite is written as
/// text rather than failing the whole record).
public enum PageTraceJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// A page trace over time, per layer: what the report's charts draw. Layer 0 is "header" (pages
/// of no tensor).
public struct PageTraceSeries: Sendable, Codable, Equatable {
    /// A run of contiguous pages brought in one after another.
    public struct Segment: Sendable, Codable, Equatable {
        /// When it started, ms after the trace started.
        public var ms: Double
        public var page: Int
        public var pages: Int
        public var layer: Int
    }

    public var binMs: Double
    public var startMs: Double
    /// Where the measured window starts (after the engine is ready), ms after the trace started.
    public var windowStartMs: Double?
    public var layers: [String]
    /// Pages of the file each layer spans.
    public var layerPages: [Int]
    /// Per layer, per bin.
    public var pagesIn: [[Int]]
    public var rereadPages: [[Int]]
    public var pagesOut: [[Int]]
    /// Pages resident at each bin's end: the start's residency plus what came in less what left.
    public var resident: [[Int]]
    public var segments: [Segment]
    /// Every `segmentStride`-th run is kept (1: all of them).
    public var segmentStride: Int

    enum CodingKeys: String, CodingKey {
        case layers, resident, segments
        case binMs = "bin_ms", startMs = "start_ms", windowStartMs = "window_start_ms", layerPages = "layer_pages"
        case pagesIn = "pages_in", rereadPages = "reread_pages", pagesOut = "pages_out"
        case segmentStride = "segment_stride"
    }
}
