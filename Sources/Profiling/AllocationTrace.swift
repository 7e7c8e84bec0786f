import Foundation
public import InferLabCore
import Synchronization

/// An allocating function of libc that `AllocationTrace` counts.
public enum AllocationFunction: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case malloc, calloc, realloc
    case posixMemalign = "posix_memalign"
    case alignedAlloc = "aligned_alloc"
    case memalign
}

/// What a process allocated from libc in a window, per thread.
public struct AllocationCounts: Sendable, Codable, Equatable {
    /// Calls and the bytes they asked for.
    public struct Tally: Sendable, Codable, Equatable {
        public var calls = 0
        public var bytes = 0

        public init(calls: Int = 0, bytes: Int = 0) {
            self.calls = calls
            self.bytes = bytes
        }

        mutating func add(_ bytes: Int) {
            calls += 1
            self.bytes &+= bytes
        }

        static func + (lhs: Tally, rhs: Tally) -> Tally {
            Tally(calls: lhs.calls + rhs.calls, bytes: lhs.bytes &+ rhs.bytes)
        }
    }

    /// One thread's calls.
    public struct ThreadCounts: Sendable, Codable, Equatable {
        public var tid: Int32
        /// Its name (`/proc/PID/task/TID/comm`, or the trace's when the thread is gone).
        public var name: String
        public var functions: [AllocationFunction: Tally]
        /// Calls of `free` with a pointer that is not NULL.
        public var frees: Int

        public init(tid: Int32, name: String, functions: [AllocationFunction: Tally] = [:], frees: Int = 0) {
            self.tid = tid
            self.name = name
            self.functions = functions
            self.frees = frees
        }

        /// Every allocating call, summed over the functions.
        public var allocations: Tally { functions.values.reduce(Tally(), +) }
    }

    public var pid: Int32
    /// When counting began and ended (tracing switched on and off).
    public var start: MonotonicInstant
    public var end: MonotonicInstant
    /// Every thread that called a counted function, most allocations first.
    public var threads: [ThreadCounts]
    /// Functions that are one function in this libc (the same address), each with the one its
    /// calls are counted under: glibc's `memalign` is its `aligned_alloc`.
    public var aliases: [AllocationFunction: AllocationFunction]
    /// Events the kernel's trace buffer dropped (it filled faster than it was read): 0 means
    /// every call was counted.
    public var lostEvents: Int

    public var duration: Duration { end - start }
    public var allocations: Tally { threads.map(\.allocations).reduce(Tally(), +) }
    public var frees: Int { threads.map(\.frees).reduce(0, +) }

    /// The threads of each name summed, most allocations first (a thread starts with its
    /// creator's name: llama.cpp's OpenMP workers carry the engine thread's).
    public func byName() -> [(name: String, threads: Int, allocations: Tally, frees: Int)] {
        Dictionary(grouping: threads, by: \.name)
            .map { name, group in
                (name, group.count, group.map(\.allocations).reduce(Tally(), +), group.map(\.frees).reduce(0, +))
            }
            .sorted { ($0.allocations.calls, $1.name) > ($1.allocations.calls, $0.name) }
    }

    enum CodingKeys: String, CodingKey {
        case pid, threads, aliases
        case start = "start_ns"
        case end = "end_ns"
        case lostEvents = "lost_events"
    }
}

/// Counts a running process's heap allocations per thread, by kernel uprobes on its libc.
///
/// The method, and why: a uprobe is a breakpoint the kernel puts on an instruction of a file's
/// code, in every process that maps it, and turns into a trace event carrying registers. Placed
/// on the first instruction of libc's `malloc`, `calloc`, `realloc`, `posix_memalign`,
/// `aligned_alloc`, `memalign` and `free`, the argument registers are the call's arguments, so
/// each event is one call with the bytes it asked for (`calloc`'s two factors are fetched and
/// multiplied here: the kernel cannot). C++ `new` and Swift's allocations end in `malloc`, so they
/// are counted too. This attaches to the engine as it runs, untouched — an `LD_PRELOAD`
/// interposer would need the engine started under it, `ltrace` stops it at every call, and
/// `perf probe` would add perf's own files and parser to the tracefs one here.
///
/// The probes are defined in tracefs `uprobe_events` under a group of this process's own
/// (`inferlab_<pid>_<n>`), enabled only in the caller's tracefs instance, filtered there to the
/// process's threads by `set_event_pid` (with `event-fork`, threads born during the window join
/// it; `record-tgid` marks each event's process, so a child process's calls are left out), and
/// read from the instance's `trace_pipe` as the window runs. On every path the probes are
/// disabled in the instance, the instance's settings put back, and the definitions removed
/// (the kernel refuses to remove an enabled one).
///
/// Cost: while enabled, every call of a probed function in any process that maps this libc
/// traps into the kernel, and events of other processes are dropped by the pid filter only after
/// the trap is paid. Measured on this VM: a tight malloc + free loop went from 71 million pairs a
/// second to 50 000 (about 10 µs a trap), traced or not. So keep windows to seconds.
///
/// Glibc relays `memalign` and `posix_memalign` with a small alignment, and `realloc` of NULL or
/// of a block it mapped, to its own `malloc`, which then fires too: a `malloc` of the same size
/// right after such a call on the same thread is that relay and not counted again.
public enum AllocationTrace {
    /// Counts `pid`'s allocations for `duration`, in the tracefs instance at `instance` (a directory
    /// `<tracefs root>/instances/<name>` the caller created, and which is this count's alone while
    /// it runs), with `tracefsRoot` the mount point.
    public static func count(pid: Int32, duration: Duration, tracefsRoot: String, instance: String)
        throws(ProfileError) -> AllocationCounts
    {
        try count(pid: pid, duration: duration, tracefsRoot: tracefsRoot, instance: instance, windowStarted: {})
    }

    /// The count, with `windowStarted` called once tracing is on (tests throw from it to check the
    /// clean-up).
    static func count(
        pid: Int32, duration: Duration, tracefsRoot: String, instance: String,
        windowStarted: () throws(ProfileError) -> Void
    ) throws(ProfileError) -> AllocationCounts {
        guard kill(pid, 0) == 0 || errno == EPERM else {
            throw ProfileError(.noSuchProcess, "no process \(pid) to count allocations of")
        }
        guard duration > .zero else { throw ProfileError(.noSamples, "a count needs a window longer than 0") }
        for (path, what) in [("\(tracefsRoot)/uprobe_events", "uprobe_events"), ("\(instance)/set_event_pid", "")] {
            guard !FileManager.default.fileExists(atPath: path) else { continue }
            throw ProfileError(
                .perfUnavailable,
                what.isEmpty
                    ? "\(instance) is not a tracefs instance (mkdir <tracefs>/instances/NAME)"
                    : "no \(path): mount tracefs there, as root, on a kernel with uprobe events")
        }
        let library = try LibC(pid: pid)
        let window = try record(
            pid: pid, duration: duration, library: library, tracefsRoot: tracefsRoot, instance: instance,
            windowStarted: windowStarted)
        // Parsed once the probes are gone: while they are enabled, each allocation of the parse
        // itself would trap into the kernel too.
        var (text, counter) = (window.text, window.counter)
        text.lines { counter.add(line: $0) }
        return counter.counts(
            start: window.start, end: window.end, names: window.names, aliases: library.aliases,
            lostEvents: window.lostEvents)
    }

    /// What the window left: the trace text not yet parsed and what was.
    private struct Window {
        var text: TraceText
        var counter: AllocationCounter
        var start: MonotonicInstant
        var end: MonotonicInstant
        var names: [Int32: String]
        var lostEvents: Int
    }

    /// The probes defined and enabled for the window, the trace read as it runs, and everything
    /// undone at the end (on every path: the scope of the two `defer`s).
    private static func record(
        pid: Int32, duration: Duration, library: LibC, tracefsRoot: String, instance: String,
        windowStarted: () throws(ProfileError) -> Void
    ) throws(ProfileError) -> Window {
        let probes = try Uprobes(library: library, tracefsRoot: tracefsRoot)
        defer { probes.remove() }
        let session = try InstanceSession(instance: instance, group: probes.group, pid: pid)
        defer { session.restore() }

        var counter = AllocationCounter(pid: pid)
        var text = TraceText()
        let pipe = try TraceText.open("\(instance)/trace_pipe")
        defer { _ = close(pipe) }
        let lostBefore = session.lostEvents()
        var names = KernelFile.threadNames(of: pid)
        try session.write("1", to: "tracing_on")
        let start = MonotonicInstant.now()
        try windowStarted()
        while case let left = (start + duration) - MonotonicInstant.now(), left > .zero {
            text.read(from: pipe)
            // A long window is parsed as it goes rather than held.
            if text.bytes.count > TraceText.parseAbove { text.lines { counter.add(line: $0) } }
            Thread.sleep(forTimeInterval: min(0.1, left.seconds))
        }
        try session.write("0", to: "tracing_on")
        let end = MonotonicInstant.now()
        while text.read(from: pipe) {}
        names.merge(KernelFile.threadNames(of: pid)) { _, now in now }
        return Window(
            text: text, counter: counter, start: start, end: end, names: names,
            lostEvents: max(0, session.lostEvents() - lostBefore))
    }

    /// Removes what a count in a process that no longer runs left defined (it was killed before
    /// its clean-up): disables its groups in the root and in every instance, then removes them.
    /// Returns the groups removed.
    @discardableResult
    public static func removeLeftovers(tracefsRoot: String) -> [String] {
        let definitions = KernelFile.read("\(tracefsRoot)/uprobe_events") ?? ""
        var events: [String: [String]] = [:]
        for line in definitions.split(separator: "\n") {
            guard let name = line.split(separator: " ").first?.dropFirst(2),
                let slash = name.firstIndex(of: "/"), case let group = String(name[..<slash]),
                let owner = Uprobes.owner(ofGroup: group), kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            events[group, default: []].append(String(name[name.index(after: slash)...]))
        }
        let instances = (try? FileManager.default.contentsOfDirectory(atPath: "\(tracefsRoot)/instances")) ?? []
        for (group, names) in events {
            for directory in [tracefsRoot] + instances.map({ "\(tracefsRoot)/instances/\($0)" }) {
                let enable = "\(directory)/events/\(group)/enable"
                if FileManager.default.fileExists(atPath: enable) { try? KernelFile.write("0", to: enable) }
            }
            for name in names {
                try? KernelFile.write("-:\(group)/\(name)", to: "\(tracefsRoot)/uprobe_events", append: true)
            }
        }
        return events.keys.sorted()
    }
}

/// The libc a process maps, and the file offsets of its allocating functions.
struct LibC {
    /// The path the kernel opens: through `/proc/PID/root`, so a process in another mount namespace
    /// has its own libc probed.
    var path: String
    var offsets: [AllocationFunction: UInt64]
    var free: UInt64
    var aliases: [AllocationFunction: AllocationFunction]

    init(pid: Int32) throws(ProfileError) {
        guard let maps = KernelFile.read("/proc/\(pid)/maps") else {
            throw ProfileError(.noSuchProcess, "cannot read /proc/\(pid)/maps")
        }
        let mapped = try Self.path(inMaps: maps, pid: pid)
        path = "/proc/\(pid)/root\(mapped)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileError(.perfUnavailable, "cannot read \(path)")
        }
        let symbols: ELFSymbols
        do { symbols = try ELFSymbols([UInt8](data)) } catch {
            throw ProfileError(.perfUnavailable, "cannot read the symbols of \(mapped)", cause: error)
        }
        guard let free = symbols.functions["free"]?.fileOffset, symbols.functions["malloc"] != nil else {
            throw ProfileError(.perfUnavailable, "\(mapped) defines no malloc and free")
        }
        self.free = free
        var offsets: [AllocationFunction: UInt64] = [:]
        var aliases: [AllocationFunction: AllocationFunction] = [:]
        for function in AllocationFunction.allCases {
            guard let offset = symbols.functions[function.rawValue]?.fileOffset else { continue }
            if let first = offsets.first(where: { $0.value == offset })?.key {
                aliases[function] = first
            } else {
                offsets[function] = offset
            }
        }
        self.offsets = offsets
        self.aliases = aliases
    }

    /// The path of the glibc `maps` shows mapped; refuses a process whose allocations go to another
    /// allocator first (they would not reach libc's malloc).
    static func path(inMaps maps: String, pid: Int32) throws(ProfileError) -> String {
        var libc: String?
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, case let path = fields[5].trimmingCharacters(in: .whitespaces),
                let name = path.split(separator: "/").last
            else { continue }
            if ["jemalloc", "tcmalloc", "mimalloc"].contains(where: { name.contains($0) }) {
                throw ProfileError(
                    .perfUnavailable, "process \(pid) allocates with \(name), not libc: its calls are not counted")
            }
            if libc == nil, name == "libc.so.6" || (name.hasPrefix("libc-") && name.hasSuffix(".so")) {
                libc = path
            }
        }
        guard let libc else {
            throw ProfileError(.perfUnavailable, "process \(pid) maps no glibc (static, or another libc)")
        }
        guard !libc.hasSuffix(" (deleted)") else {
            throw ProfileError(.perfUnavailable, "the libc of process \(pid) was replaced on disk; restart it")
        }
        return libc
    }
}

/// The uprobe definitions of one count, removed by `remove()`.
struct Uprobes {
    let group: String
    let tracefsRoot: String
    private(set) var events: [String] = []

    private static let sequence = Atomic<Int>(0)

    #if arch(arm64)
        private static let argument = ["%x0", "%x1", "%x2"]
    #else
        private static let argument = ["%di", "%si", "%dx"]
    #endif

    /// The fetch arguments of a function's event: the size it asks for, from its argument registers.
    static func fetches(_ function: AllocationFunction) -> String {
        switch function {
        case .malloc: "size=\(argument[0]):u64"
        case .calloc: "count=\(argument[0]):u64 size=\(argument[1]):u64"
        case .realloc, .alignedAlloc, .memalign: "size=\(argument[1]):u64"
        case .posixMemalign: "size=\(argument[2]):u64"
        }
    }

    /// The pid in a group name `inferlab_<pid>_<n>`, or nil when the group is not one of ours.
    static func owner(ofGroup group: String) -> Int32? {
        let parts = group.split(separator: "_")
        guard parts.count == 3, parts[0] == "inferlab", Int(parts[2]) != nil else { return nil }
        return Int32(parts[1])
    }

    init(library: LibC, tracefsRoot: String) throws(ProfileError) {
        group = "inferlab_\(getpid())_\(Self.sequence.add(1, ordering: .relaxed).newValue)"
        self.tracefsRoot = tracefsRoot
        var definitions = library.offsets.sorted { $0.value < $1.value }
            .map { ($0.key.rawValue, $0.value, Self.fetches($0.key)) }
        definitions.append(("free", library.free, "ptr=\(Self.argument[0]):x64"))
        for (event, offset, fetches) in definitions {
            let line = "p:\(group)/\(event) \(library.path):0x\(String(offset, radix: 16)) \(fetches)"
            do {
                try KernelFile.write(line, to: "\(tracefsRoot)/uprobe_events", append: true)
            } catch {
                remove()
                let log = KernelFile.read("\(tracefsRoot)/error_log") ?? ""
                throw ProfileError(
                    .perfUnavailable,
                    "the kernel refused the uprobe \(line) \(log.split(separator: "\n").suffix(3).joined(separator: " "))",
                    cause: error)
            }
            events.append(event)
        }
    }

    /// Removes every definition (each must be disabled everywhere first).
    func remove() {
        for event in events.reversed() {
            try? KernelFile.write("-:\(group)/\(event)", to: "\(tracefsRoot)/uprobe_events", append: true)
        }
    }
}

/// The instance set up for one count: clock, pid filter, options and the group enabled, with what
/// was there before, which `restore()` puts back.
struct InstanceSession {
    let instance: String
    let group: String
    private var previous: [(file: String, value: String)] = []

    init(instance: String, group: String, pid: Int32) throws(ProfileError) {
        self.instance = instance
        self.group = group
        // Off while it is set up; the window is between switching it on and off (one switch for
        // every event, where enabling each is not at one instant). The `mono` clock is one clock
        // for every CPU, so a thread's events stay in order when it moves between CPUs (the relay
        // rule reads them in order).
        for (file, value) in [
            ("tracing_on", "0"), ("trace_clock", "mono"), ("options/record-tgid", "1"), ("options/event-fork", "1"),
        ] {
            let old = KernelFile.read("\(instance)/\(file)") ?? ""
            let now = file == "trace_clock" ? Self.selected(old) : old.trimmingCharacters(in: .whitespacesAndNewlines)
            previous.append((file, now))
            do { try write(value, to: file) } catch {
                restore()
                throw error
            }
        }
        do throws(ProfileError) {
            // With event-fork on, a thread started after its parent is listed joins by itself;
            // one started between reading the tasks and writing them is caught by reading again.
            var written = Set<Int32>()
            for _ in 0..<3 {
                let tids = Set(KernelFile.threadNames(of: pid).keys).subtracting(written)
                if tids.isEmpty { break }
                try write(tids.map { String($0) }.joined(separator: " "), to: "set_event_pid", append: !written.isEmpty)
                written.formUnion(tids)
            }
            guard !written.isEmpty else { throw ProfileError(.noSuchProcess, "process \(pid) has no threads") }
            try write("1", to: "events/\(group)/enable")
        } catch {
            restore()
            throw error
        }
    }

    /// The clock in brackets in `trace_clock`'s list.
    private static func selected(_ clocks: String) -> String {
        guard let open = clocks.firstIndex(of: "["), let close = clocks.firstIndex(of: "]") else { return "local" }
        return String(clocks[clocks.index(after: open)..<close])
    }

    func write(_ value: String, to file: String, append: Bool = false) throws(ProfileError) {
        try KernelFile.write(value, to: "\(instance)/\(file)", append: append)
    }

    /// Events overwritten or dropped so far in the instance's buffers, over every CPU.
    func lostEvents() -> Int { KernelFile.lostEvents(instance: instance) }

    func restore() {
        try? write("0", to: "events/\(group)/enable")
        try? write("", to: "set_event_pid")
        for (file, value) in previous.reversed() where !value.isEmpty { try? write(value, to: file) }
    }
}

/// Text read from an instance's `trace_pipe` (without blocking: each read takes the events out of
/// the kernel's buffer), held until its lines are parsed.
struct TraceText {
    /// Text held before it is parsed during the window (at ~100 bytes an event, 600 000 events).
    static let parseAbove = 64 << 20
    /// At most this much is read at once, so the window's clock is looked at between reads.
    private static let readAtOnce = 8 << 20
    private static let chunk = 1 << 16

    private(set) var bytes: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: chunk)

    static func open(_ path: String) throws(ProfileError) -> Int32 {
        let descriptor = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ProfileError(.perfUnavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Reads what the pipe holds now, up to a limit; returns whether it stopped at the limit.
    @discardableResult
    mutating func read(from descriptor: Int32) -> Bool {
        var total = 0
        while total < Self.readAtOnce {
            let count = scratch.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return false }
            bytes.append(contentsOf: scratch[..<count])
            total += count
        }
        return true
    }

    /// Hands each complete line to `line` and drops it.
    mutating func lines(_ line: (ArraySlice<UInt8>) -> Void) {
        guard let last = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return }
        var start = 0
        while let end = bytes[start...last].firstIndex(of: UInt8(ascii: "\n")) {
            line(bytes[start..<end])
            start = end + 1
            if start > last { break }
        }
        bytes.removeSubrange(...last)
    }
}

/// One line of the instance's trace: a call of a probed function.
///
/// `  alloc helper-2-18569   (  18568) [001] DBZff 20300.907511: calloc: (0x7f8f5f9926e0) count=4 size=256`
/// is comm (which may hold spaces and dashes), tid, tgid (`record-tgid`; `-------` when unknown),
/// CPU, flags, time, the event and the probe's address and fetched arguments. Read as bytes, from
/// the right where the comm makes the left ambiguous, allocating nothing but a comm longer than a
/// small string.
struct AllocationEvent: Equatable {
    enum Call: Equatable {
        case allocation(AllocationFunction, bytes: Int)
        /// `free` of a pointer that is not NULL.
        case free
        /// `free(NULL)`, which frees nothing.
        case freeOfNull
    }

    var comm: String
    var tid: Int32
    var tgid: Int32?
    var call: Call

    init(comm: String, tid: Int32, tgid: Int32?, call: Call) {
        self.comm = comm
        self.tid = tid
        self.tgid = tgid
        self.call = call
    }

    init?(line: Substring) {
        self.init(line: ArraySlice(line.utf8))
    }

    /// The event of a trace line, or nil for anything else (a comment, another event, a line the
    /// kernel cut).
    init?(line: ArraySlice<UInt8>) {
        guard let at = Self.lastIndex(of: Self.probeAddress, in: line),
            let nameStart = Self.lastIndex(of: Self.separator, in: line[..<at]),
            let close = line[at...].firstIndex(of: UInt8(ascii: ")")),
            let header = Self.header(line[..<nameStart]),
            let call = Self.call(line[(nameStart + 2)..<at], arguments: line[(close + 1)...])
        else { return nil }
        (comm, tid, tgid) = header
        self.call = call
    }

    private static let probeAddress = Array(": (0x".utf8)
    private static let separator = Array(": ".utf8)
    private static let names: [(name: [UInt8], function: AllocationFunction)] = AllocationFunction.allCases.map {
        (Array($0.rawValue.utf8), $0)
    }

    /// The call from the event's name and its `key=value` arguments (decimal, or hex after `0x`).
    private static func call(_ name: ArraySlice<UInt8>, arguments: ArraySlice<UInt8>) -> Call? {
        var size: Int?
        var count: Int?
        var pointer: UInt64?
        for field in arguments.split(separator: UInt8(ascii: " ")) {
            guard let equals = field.firstIndex(of: UInt8(ascii: "=")),
                let value = number(field[(equals + 1)...])
            else { return nil }
            switch String(decoding: field[..<equals], as: UTF8.self) {
            case "size": size = Int(clamping: value)  // past Int.max, a call that fails
            case "count": count = Int(clamping: value)
            case "ptr": pointer = value
            default: break
            }
        }
        if name.elementsEqual("free".utf8) { return pointer.map { $0 == 0 ? .freeOfNull : .free } }
        guard let function = names.first(where: { $0.name.elementsEqual(name) })?.function, let size else {
            return nil
        }
        guard function == .calloc else { return .allocation(function, bytes: size) }
        // calloc fails when the product overflows: it got nothing.
        guard let count else { return nil }
        let product = size.multipliedReportingOverflow(by: count)
        return .allocation(function, bytes: product.overflow ? 0 : product.partialValue)
    }

    /// `comm-tid (tgid) [cpu] flags time`, read from the right (the comm is free text; flags and
    /// time hold no bracket).
    private static func header(_ text: ArraySlice<UInt8>) -> (String, Int32, Int32?)? {
        guard let cpu = text.lastIndex(of: UInt8(ascii: "[")) else { return nil }
        var rest = trimmed(text[..<cpu])
        var tgid: Int32?
        if rest.last == UInt8(ascii: ")"), let open = rest.lastIndex(of: UInt8(ascii: "(")) {
            tgid = number(trimmed(rest[(open + 1)..<(rest.endIndex - 1)]).drop { $0 == UInt8(ascii: " ") })
                .flatMap { Int32(exactly: $0) }
            rest = trimmed(rest[..<open])
        }
        guard let dash = rest.lastIndex(of: UInt8(ascii: "-")), let tid = number(rest[(dash + 1)...]),
            let tid = Int32(exactly: tid)
        else { return nil }
        return (String(decoding: rest[..<dash].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self), tid, tgid)
    }

    private static func trimmed(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = text.endIndex
        while end > text.startIndex, text[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return text[..<end]
    }

    /// A decimal, or hex after `0x`, that fits 64 bits.
    private static func number(_ text: ArraySlice<UInt8>) -> UInt64? {
        let hex = text.starts(with: "0x".utf8)
        let digits = hex ? text.dropFirst(2) : text
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: digit = UInt64(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: hex ? 16 : 10)
            let (sum, carry) = shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    private static func lastIndex(of pattern: [UInt8], in text: ArraySlice<UInt8>) -> Int? {
        guard text.count >= pattern.count else { return nil }
        var at = text.endIndex - pattern.count
        while at >= text.startIndex {
            if text[at..<(at + pattern.count)].elementsEqual(pattern) { return at }
            at -= 1
        }
        return nil
    }
}

/// Sums trace events into per-thread counts.
struct AllocationCounter {
    let pid: Int32
    private var threads: [Int32: AllocationCounts.ThreadCounts] = [:]
    /// The size a thread's last call may relay to glibc's own `malloc`.
    private var relay: [Int32: Int] = [:]

    init(pid: Int32) { self.pid = pid }

    mutating func add(line: ArraySlice<UInt8>) {
        if let event = AllocationEvent(line: line) { add(event) }
    }

    /// Adds one call, in place (a copy of a thread's counts would be an allocation per event).
    mutating func add(_ event: AllocationEvent) {
        if let tgid = event.tgid, tgid != pid { return }  // a child process that event-fork let in
        let relayed = relay.removeValue(forKey: event.tid)
        switch event.call {
        case .allocation(.malloc, let bytes) where bytes == relayed:
            return
        case .allocation(let function, let bytes):
            threads[event.tid, default: .init(tid: event.tid, name: event.comm)].functions[function, default: .init()]
                .add(bytes)
            if function != .malloc && function != .calloc { relay[event.tid] = bytes }
        case .free:
            threads[event.tid, default: .init(tid: event.tid, name: event.comm)].frees += 1
        case .freeOfNull:
            return
        }
    }

    /// The counts, with each thread named from /proc where it was seen there (`names`), else as the
    /// trace called it.
    func counts(
        start: MonotonicInstant, end: MonotonicInstant, names: [Int32: String],
        aliases: [AllocationFunction: AllocationFunction], lostEvents: Int
    ) -> AllocationCounts {
        let named = threads.values.map { thread in
            var thread = thread
            if let name = names[thread.tid] { thread.name = name }
            return thread
        }
        return AllocationCounts(
            pid: pid, start: start, end: end,
            threads: named.sorted { ($0.allocations.calls, $1.tid) > ($1.allocations.calls, $0.tid) },
            aliases: aliases, lostEvents: lostEvents)
    }
}
