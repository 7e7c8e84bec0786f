import Foundation
@testable import Profiling
import TestSupport
import Testing

/// Trace lines to events and counts (captured on this VM, and edge cases by hand), the ELF reader
/// against readelf, and uprobes on a real process in a private tracefs mount.
@Suite(.serialized) struct AllocationTraceTests {
    // MARK: Parsing

    @Test func traceLinesParseWithSpacesAndDashesInTheirComm() throws {
        let lines = """
            # tracer: nop
            #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
              alloc helper-2-18569   (  18568) [001] DBZff 20300.907511: calloc: (0x7f8f5f9926e0) count=4 size=256
              alloc helper-2-18569   (  18568) [001] DBZff 20300.907515: realloc: (0x7f8f5f992130) size=4096
                 alloc-brief-18582   (  18568) [001] DBZff 20300.916899: malloc: (0x7f8f5f991930) size=777
                    a-b c-d-7   (-------) [000] ..... 1.000001: free: (0x7f8f5f991ef0) ptr=0x0
            inferlab-engine-123 [001] d.... 5.5: posix_memalign: (0x7f00) size=64
                      t-17421   [001] DBZff 20234.280062: free: (0x7f5b937b0ef0) ptr=0x5634c2b0b2a0
                      t-17421   [001] DBZff 20234.280063: sched_switch: prev_comm=t prev_pid=17421
                      t-17421   [001] DBZff 20234.280064: malloc: (0x7f5b937b0ef0) size=
                      t-17421   [001] DBZff 20234.2
            """
        let events = lines.split(separator: "\n").compactMap { AllocationEvent(line: $0) }
        let expected: [AllocationEvent] = [
            .init(comm: "alloc helper-2", tid: 18569, tgid: 18568, call: .allocation(.calloc, bytes: 1024)),
            .init(comm: "alloc helper-2", tid: 18569, tgid: 18568, call: .allocation(.realloc, bytes: 4096)),
            .init(comm: "alloc-brief", tid: 18582, tgid: 18568, call: .allocation(.malloc, bytes: 777)),
            .init(comm: "a-b c-d", tid: 7, tgid: nil, call: .freeOfNull),
            .init(comm: "inferlab-engine", tid: 123, tgid: nil, call: .allocation(.posixMemalign, bytes: 64)),
            .init(comm: "t", tid: 17421, tgid: nil, call: .free),
        ]
        #expect(events == expected)
        let overflowing = "x-1 [000] ..... 1.0: calloc: (0x1) count=0x8000000000000000 size=4"
        #expect(AllocationEvent(line: overflowing[...])?.call == .allocation(.calloc, bytes: 0))
    }

    @Test func aMallocRelayedByGlibcIsCountedOnceAndOtherProcessesAreLeftOut() throws {
        var counter = AllocationCounter(pid: 100)
        func add(_ tid: Int32, _ call: AllocationEvent.Call, tgid: Int32? = 100) {
            counter.add(AllocationEvent(comm: "w\(tid)", tid: tid, tgid: tgid, call: call))
        }
        add(101, .allocation(.posixMemalign, bytes: 500))
        add(101, .allocation(.malloc, bytes: 500))  // glibc's relay: not a call of its own
        add(101, .allocation(.malloc, bytes: 500))  // the program's next call
        add(102, .allocation(.memalign, bytes: 64))
        add(102, .free)
        add(102, .allocation(.malloc, bytes: 64))  // after another call: the program's
        add(102, .freeOfNull)
        add(103, .allocation(.malloc, bytes: 9), tgid: 200)  // a child process
        let counts = counter.counts(
            start: .zero, end: .zero + .seconds(2), names: [101: "engine"], aliases: [.memalign: .alignedAlloc],
            lostEvents: 0)
        #expect(counts.threads.map(\.tid) == [101, 102])
        #expect(counts.threads[0].name == "engine" && counts.threads[1].name == "w102")
        #expect(
            counts.threads[0].functions == [
                .posixMemalign: .init(calls: 1, bytes: 500), .malloc: .init(calls: 1, bytes: 500),
            ])
        #expect(
            counts.threads[1].functions == [.memalign: .init(calls: 1, bytes: 64), .malloc: .init(calls: 1, bytes: 64)])
        #expect(counts.allocations == .init(calls: 4, bytes: 1128) && counts.frees == 1)
        #expect(counts.duration == .seconds(2))
        let json = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        #expect(json.contains("\"posix_memalign\":{") && json.contains("\"end_ns\":2000000000"))
        #expect(try JSONDecoder().decode(AllocationCounts.self, from: Data(json.utf8)) == counts)
    }

    @Test func theLibcOfAProcessIsFoundInItsMapsAndAnotherAllocatorIsRefused() throws {
        let maps = """
            5634c2000000-5634c2001000 r--p 00000000 fe:00 1 /tmp/my libc-test/t
            7fd27d823000-7fd27d849000 r--p 00000000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
            7fd27d849000-7fd27d99f000 r-xp 00026000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
            7ffd1000-7ffd2000 rw-p 00000000 00:00 0                          [stack]
            """
        #expect(try LibC.path(inMaps: maps, pid: 1) == "/usr/lib/x86_64-linux-gnu/libc.so.6")
        #expect(throws: ProfileError.self) {
            try LibC.path(inMaps: maps + "\n7f00-7f01 r-xp 0 fe:00 2 /usr/lib/libjemalloc.so.2", pid: 1)
        }
        #expect(throws: ProfileError.self) {
            try LibC.path(inMaps: "7f00-7f01 r-xp 0 fe:00 2 /lib/ld-musl.so.1", pid: 1)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/readelf"), "binutils is not installed"))
    func theDynamicSymbolsOfLibcAreWhereReadelfPutsThem() throws {
        let libc = try LibC.path(inMaps: try #require(KernelFile.read("/proc/self/maps")), pid: getpid())
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: libc)))
        let symbols = try ELFSymbols(bytes)
        let segments = try runProcess("/usr/bin/readelf", ["-lW", libc]).stdout.split(separator: "\n")
            .filter { $0.contains("LOAD") }
            .map { $0.split(separator: " ").dropFirst().prefix(4).compactMap { UInt64($0.dropFirst(2), radix: 16) } }
        let table = try runProcess("/usr/bin/readelf", ["-Ws", "--dyn-syms", libc]).stdout
        var checked = 0
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 8, fields[3] == "FUNC", fields[6] != "UND",
                let name = fields[7].split(separator: "@").first,
                name == "malloc" || name == "free"
                    || AllocationFunction(rawValue: String(name)) != nil,
                let value = UInt64(fields[1], radix: 16),
                let segment = segments.first(where: { $0.count == 4 && $0[1] <= value && value < $0[1] + $0[3] })
            else { continue }
            #expect(
                symbols.functions[String(name)] == .init(address: value, fileOffset: value - segment[1] + segment[0]))
            checked += 1
        }
        #expect(checked >= 7, "malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, free")
        #expect(throws: ELFSymbols.ParseError.self) {
            try ELFSymbols(Array("#!/bin/sh\n".utf8) + [UInt8](repeating: 0, count: 64))
        }
        #expect(throws: ELFSymbols.ParseError.self) { try ELFSymbols(Array(bytes.prefix(200))) }
    }

    // MARK: On the kernel

    /// A C program whose threads allocate at known rates: the main thread 1000 malloc(1000) a
    /// second, a helper 200 calloc(4, 256) + realloc(4096) + free a second, and every 100 ms a
    /// brief thread (born while the count runs) 10 posix_memalign(16, 777), which glibc relays to
    /// its malloc.
    static let program = """
        #define _GNU_SOURCE
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        static void *volatile sink;
        static void tick(struct timespec *t, long ns) {
            t->tv_nsec += ns;
            while (t->tv_nsec >= 1000000000L) { t->tv_nsec -= 1000000000L; t->tv_sec += 1; }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL);
        }
        static void *helper(void *unused) {
            pthread_setname_np(pthread_self(), "alloc helper-2");
            struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
            for (;;) { sink = calloc(4, 256); sink = realloc(sink, 4096); free(sink); tick(&t, 5000000L); }
        }
        static void *brief(void *unused) {
            pthread_setname_np(pthread_self(), "alloc-brief");
            for (int i = 0; i < 10; i++) { void *p = NULL; posix_memalign(&p, 16, 777); sink = p; free(p); }
            return NULL;
        }
        int main(void) {
            pthread_setname_np(pthread_self(), "alloc-main");
            pthread_t h; pthread_create(&h, NULL, helper, NULL);
            puts("ready"); fflush(stdout);
            struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
            for (long i = 1;; i++) {
                sink = malloc(1000); free(sink);
                if (i % 100 == 0) { pthread_t b; pthread_create(&b, NULL, brief, NULL); pthread_join(b, NULL); }
                tick(&t, 1000000L);
            }
        }
        """

    @Test(
        .timeLimit(.minutes(1)), .enabled(if: Tracefs.isAvailable, "needs root and tracefs"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "no C compiler"))
    func aLiveProcessIsCountedPerThreadAtItsRates() throws {
        let directory = TestPaths.temporaryDirectory("alloc-live")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("allocate.c")
        try Self.program.write(to: source, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("allocate").path
        let compiled = try runProcess("/usr/bin/cc", ["-O0", "-fno-builtin", "-pthread", "-o", binary, source.path])
        try #require(compiled.status == 0, "\(compiled.stderr)")
        let output = directory.appendingPathComponent("out").path
        let child = try ProbeChildProcess(binary, [], outputPath: output)
        defer { child.kill() }
        try Self.waitForOutput(output)

        let tracefs = try Tracefs()
        defer { tracefs.close() }
        let counts = try AllocationTrace.count(
            pid: child.pid, duration: .seconds(1), tracefsRoot: tracefs.root, instance: tracefs.instance)
        let seconds = counts.duration.seconds
        #expect(seconds >= 1 && seconds < 1.5)
        #expect(counts.lostEvents == 0)
        func rate(_ calls: Int) -> Double { Double(calls) / seconds }

        let main = try #require(counts.threads.first { $0.tid == child.pid })
        #expect(main.name == "alloc-main")
        let malloc = try #require(main.functions[.malloc])
        #expect(abs(rate(malloc.calls) - 1000) < 150, "\(malloc.calls) malloc(1000) in \(seconds) s")
        #expect(malloc.bytes == malloc.calls * 1000, "the main thread mallocs nothing else")

        let helper = try #require(counts.threads.first { $0.name == "alloc helper-2" })
        #expect(helper.tid != child.pid)
        let calloc = try #require(helper.functions[.calloc])
        let realloc = try #require(helper.functions[.realloc])
        #expect(abs(rate(calloc.calls) - 200) < 30 && calloc.bytes == calloc.calls * 1024)
        #expect(realloc.calls == calloc.calls && realloc.bytes == realloc.calls * 4096)
        #expect(helper.functions[.malloc] == nil && abs(helper.frees - calloc.calls) <= 1)

        let brief = counts.threads.filter { $0.name == "alloc-brief" }
        #expect(brief.count >= 7, "a brief thread every 100 ms, each born after the count began")
        let aligned = brief.compactMap { $0.functions[.posixMemalign] }.reduce(AllocationCounts.Tally(), +)
        #expect(abs(rate(aligned.calls) - 100) < 30 && aligned.bytes == aligned.calls * 777)
        #expect(brief.allSatisfy { $0.functions[.malloc] == nil }, "glibc's relay to malloc is not counted twice")
        #expect(Set(counts.threads.map(\.tid)).count == counts.threads.count)
        #expect(counts.byName().first?.name == "alloc-main")
        try tracefs.expectClean()
    }

    @Test(.timeLimit(.minutes(1)), .enabled(if: Tracefs.isAvailable, "needs root and tracefs"))
    func nothingIsLeftDefinedOrEnabledAfterACountOrAnError() throws {
        let sleeper = try ProbeChildProcess("/bin/sleep", ["30"])
        defer { sleeper.kill() }
        let tracefs = try Tracefs()
        defer { tracefs.close() }
        let before = try tracefs.settings()

        let quiet = try AllocationTrace.count(
            pid: sleeper.pid, duration: .milliseconds(200), tracefsRoot: tracefs.root, instance: tracefs.instance)
        #expect(quiet.allocations.calls == 0, "sleep allocates nothing while it sleeps")
        try tracefs.expectClean()
        #expect(try tracefs.settings() == before)

        var seenEnabled = false
        #expect(throws: ProfileError.self) {
            try AllocationTrace.count(
                pid: sleeper.pid, duration: .seconds(5), tracefsRoot: tracefs.root, instance: tracefs.instance
            ) { () throws(ProfileError) in
                seenEnabled =
                    (try? tracefs.ourGroup()).map { group in
                        KernelFile.read("\(tracefs.instance)/events/\(group)/enable")
                            == "1\n"
                    } ?? false
                throw ProfileError(.noSamples, "interrupted")
            }
        }
        #expect(seenEnabled, "the probes were defined and enabled when the window began")
        try tracefs.expectClean()
        #expect(try tracefs.settings() == before)

        #expect(throws: ProfileError.self) {
            try AllocationTrace.count(
                pid: sleeper.pid, duration: .seconds(1), tracefsRoot: tracefs.root, instance: "/nonexistent")
        }
        #expect(throws: ProfileError.self) {
            try AllocationTrace.count(
                pid: 999_999_999, duration: .seconds(1), tracefsRoot: tracefs.root, instance: tracefs.instance)
        }
        try tracefs.expectClean()
    }

    @Test(.timeLimit(.minutes(1)), .enabled(if: Tracefs.isAvailable, "needs root and tracefs"))
    func theLeftoversOfADeadCountAreRemoved() throws {
        let dead = try ProbeChildProcess("/bin/true", [])
        dead.wait()
        let tracefs = try Tracefs()
        defer { tracefs.close() }
        let library = try LibC(pid: getpid())
        let group = "inferlab_\(dead.pid)_1"
        let malloc = try #require(library.offsets[.malloc])
        try KernelFile.write(
            "p:\(group)/malloc \(library.path):0x\(String(malloc, radix: 16)) size=%di:u64",
            to: "\(tracefs.root)/uprobe_events", append: true)
        try KernelFile.write("1", to: "\(tracefs.instance)/events/\(group)/enable")
        #expect(AllocationTrace.removeLeftovers(tracefsRoot: tracefs.root) == [group])
        let definitions = try #require(KernelFile.read("\(tracefs.root)/uprobe_events"))
        #expect(!definitions.contains(group))
        #expect(!FileManager.default.fileExists(atPath: "\(tracefs.instance)/events/\(group)"))
    }

    /// A measurement for issue 17, not a claim: `inferlab generate` decoding 256 tokens, counted
    /// for 3 s after 3 s of decode, printed per thread name and per generated token (the tokens'
    /// own instants say how many fell in the window). Run with INFERLAB_MEASURE_ALLOCATIONS=1.
    @Test(
        .timeLimit(.minutes(10)),
        .enabled(if: ProcessInfo.processInfo.environment["INFERLAB_MEASURE_ALLOCATIONS"] != nil, "a measurement"),
        .enabled(if: Tracefs.isAvailable && TestPaths.hasDefaultModel, "needs root, tracefs and the model"))
    func measureTheEngineDecodeAllocations() throws {
        let directory = TestPaths.temporaryDirectory("alloc-engine")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("generate.json").path
        let generate = try ProbeChildProcess(
            TestPaths.inferlab,
            [
                "generate", "--model", TestPaths.defaultModel, "--prompt", "Tell me a long story about a lighthouse.",
                "--max-tokens", "256", "--ignore-eos", "--json",
            ], outputPath: output)
        defer { generate.kill() }
        // The engine thread is not told apart by its name here: Foundation's `Thread.name` does not
        // reach /proc on Linux, and a thread inherits its creator's comm (a concurrency thread's).
        // So the threads are told apart by the CPU they used in the window. Decode has begun once
        // the process used 2 s of CPU (loading and a 10-token prefill take well under that).
        let deadline = MonotonicInstant.now() + .seconds(120)
        while Self.cpuTicks(of: generate.pid).values.reduce(0, +) < 200 {
            try #require(MonotonicInstant.now() < deadline, "generate used no CPU")
            usleep(50_000)
        }
        Thread.sleep(forTimeInterval: 3)
        let cpuBefore = Self.cpuTicks(of: generate.pid)
        let tracefs = try Tracefs()
        defer { tracefs.close() }
        let counts = try AllocationTrace.count(
            pid: generate.pid, duration: .seconds(3), tracefsRoot: tracefs.root, instance: tracefs.instance)
        let cpuAfter = Self.cpuTicks(of: generate.pid)
        try tracefs.expectClean()
        #expect(generate.wait() == 0 && counts.lostEvents == 0, "generate exits 0; every event read")

        struct Report: Decodable {
            var completion_tokens: Int
            var decode_tokens_per_s: Double
            var token_times_ns: [UInt64]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: output)))
        let times = report.token_times_ns.map { MonotonicInstant(nanoseconds: $0) }
        let tokens = times.filter { counts.start <= $0 && $0 < counts.end }.count
        let seconds = counts.duration.seconds
        var lines = [
            "window \(String(format: "%.3f", seconds)) s, \(tokens) tokens in it (decode \(String(format: "%.1f", report.decode_tokens_per_s)) tok/s over the run; \(times.filter { $0 < counts.start }.count) tokens before it, \(times.filter { $0 >= counts.end }.count) after), lost \(counts.lostEvents)"
        ]
        var cpu: [Int32: Double] = [:]
        for (tid, after) in cpuAfter { cpu[tid] = Double(after - (cpuBefore[tid] ?? 0)) / 100 }
        let busiest = cpu.sorted { $0.value > $1.value }.prefix(2)
        let compute = Set(busiest.map { $0.key })
        func line(_ label: String, _ threads: [AllocationCounts.ThreadCounts]) -> String {
            let calls = threads.map(\.allocations.calls).reduce(0, +)
            let bytes = threads.map(\.allocations.bytes).reduce(0, +)
            let rate = String(
                format: "%.1f/s, %.2f per token", Double(calls) / seconds, Double(calls) / Double(max(1, tokens)))
            return "\(label): \(calls) allocations (\(bytes) B), \(threads.map(\.frees).reduce(0, +)) frees; \(rate)"
        }
        let computing = counts.threads.filter { compute.contains($0.tid) }
        lines.append(line("compute threads \(compute.sorted()) (most CPU in the window)", computing))
        lines.append(line("other threads", counts.threads.filter { !compute.contains($0.tid) }))
        for (tid, seconds) in cpu.sorted(by: { $0.key < $1.key }) {
            let thread = counts.threads.first { $0.tid == tid }
            let functions = thread?.functions.map { "\($0.key.rawValue) \($0.value.calls)/\($0.value.bytes) B" }
                .sorted()
            lines.append(
                "  \(tid) \(thread?.name ?? "-") cpu \(String(format: "%.2f", seconds)) s: \(functions?.joined(separator: ", ") ?? "nothing"), frees \(thread?.frees ?? 0)"
            )
        }
        for thread in counts.threads where cpu[thread.tid] == nil {
            lines.append(
                "  \(thread.tid) \(thread.name) (gone): \(thread.allocations.calls) allocations, frees \(thread.frees)")
        }
        print("ENGINE ALLOCATIONS\n" + lines.joined(separator: "\n"))
        #expect(tokens > 0 && times.first.map { $0 < counts.start } == true, "the window fell in the decode")
    }

    /// User and system clock ticks of each thread of `pid`.
    private static func cpuTicks(of pid: Int32) -> [Int32: Int] {
        var ticks: [Int32: Int] = [:]
        for tid in KernelFile.threadNames(of: pid).keys {
            guard let stat = KernelFile.read("/proc/\(pid)/task/\(tid)/stat"), let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { continue }
            ticks[tid] = user + system
        }
        return ticks
    }

    private static func waitForOutput(_ path: String) throws {
        let deadline = MonotonicInstant.now() + .seconds(10)
        while MonotonicInstant.now() < deadline {
            if (try? String(contentsOfFile: path, encoding: .utf8))?.contains("ready") == true { return }
            usleep(10_000)
        }
        throw CocoaError(.fileReadUnknown)
    }
}

/// A private tracefs mount in a temporary directory with one instance, both removed by `close()`.
struct Tracefs {
    let root: String
    let instance: String

    static var isAvailable: Bool { geteuid() == 0 && FileManager.default.fileExists(atPath: "/sys/kernel/tracing") }

    init() throws {
        root = TestPaths.temporaryDirectory("alloc-tracefs").path
        guard mount("nodev", root, "tracefs", 0, nil) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)
        }
        instance = "\(root)/instances/alloc-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        guard mkdir(instance, 0o755) == 0 else {
            umount2(root, 0)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)
        }
    }

    func close() {
        rmdir(instance)
        umount2(root, 0)
        rmdir(root)
    }

    /// The instance's files a count changes and puts back.
    func settings() throws -> [String] {
        try ["tracing_on", "trace_clock", "options/record-tgid", "options/event-fork", "set_event_pid"].map {
            try #require(KernelFile.read("\(instance)/\($0)"))
        }
    }

    /// Our process's group among the uprobe definitions, if any.
    func ourGroup() throws -> String? {
        let definitions = try #require(KernelFile.read("\(root)/uprobe_events"))
        return definitions.split(separator: "\n").compactMap { line -> String? in
            guard let name = line.split(separator: " ").first?.dropFirst(2).split(separator: "/").first,
                name.hasPrefix("inferlab_\(getpid())_")
            else { return nil }
            return String(name)
        }.first
    }

    /// No definition of this process's groups, no event enabled in the instance.
    func expectClean() throws {
        #expect(try ourGroup() == nil)
        let enabled = try #require(KernelFile.read("\(instance)/set_event"))
        #expect(enabled.isEmpty, "enabled in the instance: \(enabled)")
        #expect(try #require(KernelFile.read("\(instance)/set_event_pid")).isEmpty)
    }
}
