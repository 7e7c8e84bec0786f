import Foundation
import SystemProbe
import Testing
import TestSupport

@testable import Profiling

/// The page-cache trace: the filemap events' text, what they add up to, and a cold-cache
/// generation of the real model traced through `inferlab probe --page-trace`.
@Suite struct PageTraceTests {
    /// Lines as this kernel (6.1) prints them, with another file's event and another event kind.
    let text = """
        # tracer: nop
                   <...>-4242  [001] ..... 20022.176093: mm_filemap_add_to_page_cache: dev 254:0 ino 9264c0 pfn=0x1f2d3 ofs=0 order=0
                   <...>-4242  [001] ..... 20022.176100: mm_filemap_add_to_page_cache: dev 254:0 ino 9264c0 pfn=0x1f2d4 ofs=4096 order=2
          llama-worker-1-4250  [000] ..... 20022.176200: mm_filemap_add_to_page_cache: dev 254:0 ino 1234 pfn=0x1 ofs=0 order=0
                 kswapd0-90    [000] ..... 20022.300000: mm_filemap_delete_from_page_cache: dev 254:0 ino 9264c0 pfn=0x1f2d3 ofs=0 order=0
                   <...>-4242  [001] ..... 20022.310000: sched_switch: prev_comm=a prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120
                   <...>-4242  [001] ..... 20022.400000: mm_filemap_add_to_page_cache: dev 254:0 ino 9264c0 pfn=0x1f2d9 ofs=0 order=0
        """

    @Test func theFilesEventsAreParsedWithTheirFolioSize() throws {
        let events = PageTrace.parse(text, inode: 0x9264c0).pages
        #expect(events.map(\.kind) == [.added, .added, .removed, .added])
        #expect(events.map(\.offset) == [0, 4096, 0, 0])
        #expect(events.map(\.pages) == [1, 4, 1, 1])
        #expect(events[2].task.comm == "kswapd0")
        #expect(events[0].time == MonotonicInstant(nanoseconds: 20_022_176_093_000))
    }

    /// The recorder's byte-level path reads the same events as the reference parser.
    @Test func theFastPathReadsWhatTheParserReads() throws {
        let reference = PageTrace.parse(text, inode: 0x9264c0).pages
        var fast: [PageCacheEvent] = []
        for line in text.split(separator: "\n") {
            let bytes = Array(line.utf8)
            if let event = bytes.withUnsafeBufferPointer({ PageTrace.fastPage($0, inode: 0x9264c0) }) {
                fast.append(event)
            }
        }
        #expect(fast.count == reference.count)
        for (a, b) in zip(fast, reference) {
            #expect(a.time == b.time && a.kind == b.kind && a.offset == b.offset && a.pages == b.pages)
        }
        // Another file's event, a block request and garbage are not page events of this inode.
        for other in [
            "   <...>-1 [000] ..... 5.000001: mm_filemap_add_to_page_cache: dev 254:0 ino 1234 pfn=0x1 ofs=0 order=0",
            "   <...>-1 [000] ..... 5.000001: block_rq_issue: 254,0 R 4096 () 2304 + 8 none,0,0 [x]",
            "mm_filemap_add_to_page_cache: ino 9264c0", "",
        ] {
            let bytes = Array(other.utf8)
            #expect(bytes.withUnsafeBufferPointer { PageTrace.fastPage($0, inode: 0x9264c0) } == nil, "\(other)")
        }
    }

    func tensor(_ name: String, _ offset: UInt64, _ size: UInt64) -> GGUFTensor {
        GGUFTensor(name: name, dimensions: [size], typeID: 0, fileOffset: offset, size: size)
    }

    @Test func theSummaryCountsRereadsRunsSequenceAndTensors() throws {
        let events = PageTrace.parse(text, inode: 0x9264c0).pages
        let tensors = [tensor("blk.0.attn_q.weight", 8192, 8192), tensor("output.weight", 16384, 4096)]
        let start = MonotonicInstant(nanoseconds: 20_022_176_000_000)
        let summary = PageTraceSummary.of(
            events, file: "m.gguf", fileBytes: 20480, tensors: tensors, start: start,
            end: start + .milliseconds(300))
        #expect(summary.pagesIn == 6)
        #expect(summary.pagesOut == 1)
        #expect(summary.distinctPagesIn == 5)
        #expect(summary.rereadPages == 1)  // page 0: evicted by kswapd, faulted again
        // Pages 0-4 arrive as one contiguous run, page 0 again as a second one.
        #expect(summary.reads == 2)
        #expect(summary.averageReadBytes == Double(6 * 4096) / 2)
        // Page 1-4 follows page 0 (gap 0); page 0 again starts 20 KiB before the previous end.
        #expect(summary.sequentialFraction == 1)
        #expect(summary.headerPages == 3)  // pages 0 (twice) and 1 are before the first tensor
        #expect(summary.byTensor.map(\.name) == ["blk.0.attn_q.weight", "output.weight"])
        #expect(summary.byTensor.map(\.pagesIn) == [2, 1])  // pages 2-3, page 4
        #expect(summary.byTensor.map(\.filePages) == [2, 1])
        #expect(abs(summary.byTensor[0].firstMs - 0.1) < 1e-9)
        #expect(summary.durationMs == 300)
    }

    /// Norm tensors of a few KiB share pages with their neighbours: a shared page counts for each.
    @Test func aSharedPageCountsForEachTensorItHolds() throws {
        let task = TraceTask(pid: 1, comm: "t")
        let events = [
            PageCacheEvent(time: .zero, kind: .added, inode: 1, offset: 0, pages: 2, task: task)
        ]
        let tensors = [tensor("blk.0.attn_norm.weight", 1024, 2304), tensor("blk.0.ffn_norm.weight", 3328, 2304)]
        let summary = PageTraceSummary.of(
            events, file: "f", fileBytes: 8192, tensors: tensors, start: .zero, end: .zero)
        #expect(summary.headerPages == 0)
        #expect(summary.byTensor.map(\.pagesIn) == [1, 2])  // bytes 1024-3327 in page 0; 3328-5631 in pages 0-1
        #expect(summary.byTensor.map(\.filePages) == [1, 2])
    }

    @Test func aFaultFarFromThePreviousOneIsNotSequential() throws {
        let task = TraceTask(pid: 1, comm: "t")
        let at = { (ms: Int, offset: UInt64) in
            PageCacheEvent(
                time: MonotonicInstant(nanoseconds: UInt64(ms) * 1_000_000), kind: .added, inode: 1, offset: offset,
                pages: 1, task: task)
        }
        let events = [at(1, 0), at(2, 4096), at(3, 1 << 30), at(4, (1 << 30) + 64 << 10), at(5, 4096 * 3)]
        let summary = PageTraceSummary.of(
            events, file: "f", fileBytes: 2 << 30, tensors: [], start: .zero,
            end: MonotonicInstant(nanoseconds: 5_000_000))
        // 0 -> 4096: sequential; -> 1 GiB: not; -> +64 KiB: within 128 KiB; -> back to 12 KiB: not.
        #expect(summary.sequentialFraction == 0.5)
        #expect(summary.reads == 4)
    }

    /// The streaming sums a trial keeps: the window after the mark, per tensor, per layer over time.
    @Test func theAccumulatorKeepsTheWindowAndTheLayersOverTime() throws {
        let task = TraceTask(pid: 1, comm: "t")
        let page = PageTrace.pageBytes
        let at = { (ms: UInt64, kind: PageCacheEvent.Kind, first: UInt64, pages: Int) in
            PageCacheEvent(
                time: MonotonicInstant(nanoseconds: ms * 1_000_000), kind: kind, inode: 1, offset: first * page,
                pages: pages, task: task)
        }
        // Pages 0-1: header; 2-5: blk.0; 6-9: blk.1. Page 9 is cached at the start.
        let tensors = [
            tensor("blk.0.ffn_up.weight", 2 * page, 4 * page), tensor("blk.1.ffn_up.weight", 6 * page, 4 * page),
        ]
        var resident = [Bool](repeating: false, count: 10)
        resident[9] = true
        var accumulator = PageTraceAccumulator(
            fileBytes: 10 * page, tensors: tensors, start: .zero, binMilliseconds: 100, resident: resident)
        #expect(accumulator.layers == ["header", "blk.0", "blk.1"])
        accumulator.add(at(10, .added, 0, 9))  // the load: pages 0-8, one run
        accumulator.mark(at: MonotonicInstant(nanoseconds: 150_000_000))
        accumulator.add(at(160, .removed, 2, 2))  // blk.0's first half evicted
        accumulator.add(at(250, .added, 2, 2))  // and read again
        accumulator.add(at(260, .added, 7, 1))  // blk.1 page 7 again (its eviction lost by the ring buffer)
        let summary = accumulator.summary(file: "f", end: MonotonicInstant(nanoseconds: 300_000_000))
        #expect(summary.pagesIn == 12)
        #expect(summary.rereadPages == 3)
        let window = try #require(summary.window)
        #expect(window.pagesIn == 3)
        #expect(window.pagesOut == 2)
        #expect(window.rereadPages == 3)
        #expect(window.reads == 2)
        #expect(window.startMs == 150)
        #expect(window.durationMs == 150)
        // blk.1: the load's run started in the header, so page 7 is the first read starting in it.
        let blk1 = try #require(summary.byTensor.first { $0.layer == "blk.1" })
        #expect(blk1.sequentialFraction == 1)
        #expect(blk1.pagesIn == 4)
        let series = accumulator.series()
        #expect(series.layerPages == [2, 4, 4])
        #expect(series.pagesIn.map { $0.reduce(0, +) } == [2, 6, 4])
        #expect(series.rereadPages[1] == [0, 0, 2])
        #expect(series.rereadPages[2] == [0, 0, 1])
        #expect(series.pagesOut[1] == [0, 2, 0])
        // blk.0: 4 in, 2 out, 2 in again; blk.1 starts with page 9 and gains 6-8, never more than its 4.
        #expect(series.resident[1] == [4, 2, 4])
        #expect(series.resident[2] == [4, 4, 4])
        #expect(series.windowStartMs == 150)
        #expect(series.segments.map(\.page) == [0, 2, 7])
        #expect(series.segments.map(\.layer) == [0, 1, 2])
    }

    @Test func theSegmentsAreThinnedToTheCap() {
        let task = TraceTask(pid: 1, comm: "t")
        var accumulator = PageTraceAccumulator(
            fileBytes: 1000 * PageTrace.pageBytes, tensors: [], start: .zero, segmentCap: 8)
        for index in 0..<100 {
            // Every other page: each addition is a run of its own.
            accumulator.add(
                PageCacheEvent(
                    time: MonotonicInstant(nanoseconds: UInt64(index) * 1_000_000), kind: .added, inode: 1,
                    offset: UInt64(index * 2) * PageTrace.pageBytes, pages: 1, task: task))
        }
        _ = accumulator.summary(file: "f", end: MonotonicInstant(nanoseconds: 100_000_000))
        let series = accumulator.series()
        #expect(series.segments.count < 8)
        #expect(series.segmentStride > 1)
        #expect(series.segments.map(\.ms) == series.segments.map(\.ms).sorted())
    }

    @Test func blockRequestsAreMatchedToTheirCompletion() throws {
        let text = """
                       <...>-4242  [001] ..... 100.000000: block_rq_issue: 254,0 RA 131072 () 2048 + 256 none,0,0 [inferlab]
                       <...>-4242  [001] ..... 100.000100: block_rq_issue: 254,0 R 4096 () 2304 + 8 none,0,0 [inferlab]
                      <idle>-0     [000] ..s1. 100.002000: block_rq_complete: 254,0 RA () 2048 + 256 none,0,0 [0]
                      <idle>-0     [000] ..s1. 100.004100: block_rq_complete: 254,0 R () 2304 + 8 none,0,0 [0]
                       <...>-4242  [001] ..... 100.010000: block_rq_issue: 254,0 R 4096 () 900000 + 8 none,0,0 [inferlab]
                       <...>-4242  [001] ..... 100.020000: block_rq_issue: 254,0 WS 4096 () 10 + 8 none,0,0 [jbd2/vda-8]
            """
        let requests = PageTrace.parse(text, inode: 0).requests
        #expect(requests.map(\.operation) == ["RA", "R", "R", "WS"])
        #expect(requests.map(\.bytes) == [131_072, 4096, 4096, 4096])
        #expect(requests[0].completed == MonotonicInstant(nanoseconds: 100_002_000_000))
        #expect(requests[2].completed == nil)
        let summary = BlockSummary.of(requests, device: "254:0")
        #expect(summary.requests == 3)  // reads only
        #expect(summary.readBytes == 139_264)
        // 2048+256 ends at 2304, where the next starts; 900000 is 459 MB further.
        #expect(summary.sequentialFraction == 0.5)
        #expect(summary.latencyMs?.count == 2)
        #expect(summary.latencyMs?.max == 4)
        #expect(summary.readaheadRequests == 1)
        #expect(summary.readaheadAverageBytes == 131_072)
        // In flight: 100.000000-100.002000 and 100.000100-100.004100 overlap: 4.1 ms in all.
        #expect(abs(summary.busyMs - 4.1) < 1e-6)
        let later = BlockSummary.of(requests, device: "254:0", since: MonotonicInstant(nanoseconds: 100_005_000_000))
        #expect(later.requests == 1)
    }

    /// The acceptance's case: a cold-cache generation, traced from before the model loads. With
    /// no memory pressure every page comes in at most once, and each is the header or a tensor.
    @Test(.enabled(if: getuid() == 0 && TestPaths.hasDefaultModel, "needs root (tracefs) and the model"))
    func aColdGenerationBringsEachPageOnceAndEachPageIsATensor() throws {
        // A copy of the model: in this test process other suites keep the model mapped, and mapped
        // pages cannot be evicted (measured: 100 % -> 98.4 % resident). The copy has its own inode.
        let directory = TestPaths.temporaryDirectory("page-trace")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model.gguf").path
        try FileManager.default.copyItem(atPath: TestPaths.defaultModel, toPath: model)
        let evicted = try runInferLab(["exec", "--cold-cache", model, "--", "true"])
        #expect(evicted.stderr.contains("-> 0.0%"), "\(evicted.stderr)")
        let run = try runInferLab([
            "probe", "--file", model, "--page-trace", "--json", "--", "/bin/sh", "-c",
            "'\(TestPaths.inferlab)' generate --model '\(model)' --prompt Hello --max-tokens 8 --ctx 512 --threads 2 >/dev/null",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONDecoder().decode(PageTraceSummary.self, from: Data(run.stdout.utf8))
        print(
            "page trace: \(summary.pagesIn) pages in, \(summary.reads) runs of \(Int(summary.averageReadBytes)) B, "
                + "sequential \(summary.sequentialFraction), \(summary.byTensor.count) tensors, \(summary.durationMs) ms"
        )
        #expect(summary.lostEvents == 0)
        #expect(summary.rereadPages == 0)
        #expect(summary.pagesOut == 0)
        #expect(summary.distinctPagesIn == summary.pagesIn)
        // Each page is the header's or holds a tensor's bytes (shared pages count for each tensor).
        #expect(summary.headerPages > 0, "the loader reads the header through the cache")
        #expect(summary.headerPages + summary.byTensor.reduce(0) { $0 + $1.pagesIn } >= summary.pagesIn)
        // Every layer's weights are read whole; the embedding table only where tokens (and
        // readahead) touch it.
        #expect(Double(summary.pagesIn * 4096) > 0.5 * Double(summary.fileBytes))
        let header = try GGUFHeader.read(path: model)
        let layers = summary.byTensor.filter { $0.layer.hasPrefix("blk.") }
        #expect(layers.count == header.tensors.filter { $0.layer.hasPrefix("blk.") }.count)
        #expect(layers.allSatisfy { $0.pagesIn == $0.filePages }, "\(layers.filter { $0.pagesIn != $0.filePages })")
        #expect(summary.sequentialFraction > 0.9)
        // The device read at least the pages that came in, in requests of more than a page.
        let block = try #require(summary.block)
        print(
            "block: \(block.requests) reads of \(Int(block.averageRequestBytes)) B, \(block.readBytes) B, p50 \(block.latencyMs?.p50 ?? -1) ms"
        )
        #expect(block.readBytes >= UInt64(summary.pagesIn) * 4096 * 9 / 10, "\(block)")
        #expect(block.averageRequestBytes > 4096)
        #expect(TraceSession.inferlabInstances().isEmpty, "the trace instance was removed")
    }
}
