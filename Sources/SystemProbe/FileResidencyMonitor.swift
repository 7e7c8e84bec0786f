import CLinux
import InferLabCore

#if canImport(Glibc)
    import Glibc
#endif

/// Measures one file's page-cache resident fraction repeatedly for a sampler, cheaply:
///
/// - with `cachestat(2)` (Linux 6.5+), which counts the file's cached pages in one walk of its
///   page-cache tree: 1.0 ms of CPU for the 98 MB default model on this machine, against
///   2.1-4.5 ms for `mincore`, which looks every page up on its own. On an older kernel (ENOSYS)
///   or a file system without it, `mincore` over a read-only mapping instead;
/// - the file stays open (and mapped, for `mincore`) across measurements; it is opened anew only
///   when the path names another file or the size changed;
/// - a measurement is taken at most every `residency_interval_ms`, and never more often than
///   every 100 times its own CPU cost (so it stays under 1 % of a core for any file size); in
///   between, the last measured fraction is returned. Residency changes over seconds: measuring
///   it at 100 Hz was 60 % of the sampler's cost.
///
/// Not thread-safe: one sampler loop owns one monitor.
final class FileResidencyMonitor {
    let path: String
    /// The configured gate; its interval grows to 100x the CPU cost of a measurement when larger.
    private(set) var gate: IntervalGate
    private let configuredInterval: Duration
    /// How many times `mincore` actually ran.
    private(set) var measurements = 0
    /// The last measured fraction.
    private(set) var lastFraction: Double?
    /// How the file is measured: `cachestat` until the kernel refuses it, then `mincore`.
    private(set) var method: Method = .cachestat

    enum Method: Sendable, Equatable { case cachestat, mincore }

    private var descriptor: Int32 = -1
    private var mapping: UnsafeMutableRawPointer?
    private var mappedBytes = 0
    private var identity: (device: UInt64, inode: UInt64, size: Int)?
    private var vector: [UInt8] = []

    /// - Parameters:
    ///   - intervalMilliseconds: the least time between measurements (0: every call).
    ///   - samplingMilliseconds: the caller's sampling interval (half of it is the gate's slack).
    init(path: String, intervalMilliseconds: Double, samplingMilliseconds: Double = 0) {
        self.path = path
        gate = IntervalGate(intervalMilliseconds: intervalMilliseconds, samplingMilliseconds: samplingMilliseconds)
        configuredInterval = gate.interval
    }

    deinit { unmap() }

    /// The resident fraction at `now`: measured when due, otherwise the last measurement.
    /// `nil` when the file cannot be opened or mapped.
    func fraction(at now: MonotonicInstant) -> Double? {
        guard gate.take(now) else { return lastFraction }
        let before = Self.threadCPUTime()
        lastFraction = measure()
        if configuredInterval > .zero {
            gate.interval = max(configuredInterval, (Self.threadCPUTime() - before) * Self.costFactor)
        }
        return lastFraction
    }

    /// A measurement waits at least this many times its own CPU cost.
    static let costFactor = 100

    /// CPU time this thread has used.
    static func threadCPUTime() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }

    /// Measures the whole file now.
    func measure() -> Double? {
        guard prepareFile() else { return nil }
        measurements += 1
        guard let identity, identity.size > 0 else { return 0 }
        if method == .cachestat {
            var counts = inferlab_cachestat()
            if inferlab_cachestat(descriptor, 0, 0, &counts) == 0 {
                return min(Double(counts.nr_cache) / Double(Self.pageCount(identity.size)), 1)
            }
            method = .mincore  // ENOSYS before Linux 6.5, EOPNOTSUPP on some file systems
        }
        guard mapping != nil || mapFile() else { return nil }
        guard let mapping, mappedBytes > 0 else { return 0 }
        let status = vector.withUnsafeMutableBufferPointer { mincore(mapping, mappedBytes, $0.baseAddress) }
        guard status == 0 else {
            unmap()
            return nil
        }
        return Double(Self.residentCount(vector)) / Double(vector.count)
    }

    /// The number of resident pages in a `mincore` vector (bit 0 of each byte).
    static func residentCount(_ vector: [UInt8]) -> Int {
        vector.withUnsafeBufferPointer { buffer in
            var count = 0
            for byte in buffer { count &+= Int(byte & 1) }
            return count
        }
    }

    /// Opens the file if it is not open yet or if the path now names another file or size.
    private func prepareFile() -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else {
            unmap()
            return false
        }
        let current = (device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int(info.st_size))
        if let identity, identity == current, descriptor >= 0 { return true }
        unmap()
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        descriptor = fd
        identity = current
        return true
    }

    /// Maps the open file for `mincore`.
    private func mapFile() -> Bool {
        guard let identity, identity.size > 0 else { return true }
        guard let map = mmap(nil, identity.size, PROT_READ, MAP_SHARED, descriptor, 0), map != MAP_FAILED else {
            unmap()
            return false
        }
        mapping = map
        mappedBytes = identity.size
        vector = [UInt8](repeating: 0, count: Self.pageCount(identity.size))
        return true
    }

    /// Pages of a file of `bytes` bytes.
    static func pageCount(_ bytes: Int) -> Int { (bytes + ProcFS.pageSize - 1) / ProcFS.pageSize }

    /// Measures with `mincore` from now on (as on a kernel without `cachestat`), for tests.
    func useMincore() { method = .mincore }

    private func unmap() {
        if let mapping { munmap(mapping, mappedBytes) }
        if descriptor >= 0 { close(descriptor) }
        mapping = nil
        mappedBytes = 0
        descriptor = -1
        identity = nil
    }
}
