#if canImport(Glibc)
    import Glibc
#endif
public import Foundation
public import InferLabCore

/// The read throughput a disk delivers, measured with `O_DIRECT` reads of a file on it (the
/// model itself: no spec sheet, no page cache): sequential 1 MiB reads from the start, and
/// random 4 KiB reads, one at a time (queue depth 1, as a page fault waits). Measured once per
/// device and cached (`~/.cache/inferlab/disk-ceiling/MAJ-MIN.json`), so a paging trial's read
/// throughput can be quoted as a fraction of what the disk can do.
public struct DiskCeiling: Sendable, Codable, Equatable {
    /// The disk as `major:minor`.
    public var device: String
    public var sequentialMBps: Double
    public var random4KMBps: Double
    public var random4KIOPS: Double
    /// The sequential read size and how many bytes each pattern read.
    public var sequentialBlockBytes: Int
    public var sequentialBytes: UInt64
    public var randomReads: Int
    /// The file read and when (ISO 8601).
    public var file: String
    public var measuredAt: String

    enum CodingKeys: String, CodingKey {
        case device, file
        case sequentialMBps = "sequential_mb_per_s", random4KMBps = "random_4k_mb_per_s"
        case random4KIOPS = "random_4k_iops", sequentialBlockBytes = "sequential_block_bytes"
        case sequentialBytes = "sequential_bytes", randomReads = "random_reads", measuredAt = "measured_at"
    }

    /// `O_DIRECT` (Glibc hides it without `_GNU_SOURCE`).
    #if arch(arm64) || arch(arm)
        static let directFlag: Int32 = 0o200000
    #else
        static let directFlag: Int32 = 0o40000
    #endif

    /// The cached ceiling of the disk holding `file`, or one measured now (and cached).
    public static func of(file: String, cache: URL = UserDirectories.cache) throws(TraceError) -> DiskCeiling {
        let device = try Self.device(of: file)
        let path = cache.appendingPathComponent("disk-ceiling/\(device.replacingOccurrences(of: ":", with: "-")).json")
        if let data = try? Data(contentsOf: path), let cached = try? JSONDecoder().decode(DiskCeiling.self, from: data)
        {
            return cached
        }
        let measured = try measure(file: file)
        try? FileManager.default.createDirectory(
            at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(measured) { try? data.write(to: path, options: .atomic) }
        return measured
    }

    static func device(of file: String) throws(TraceError) -> String {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw TraceError(.system, "cannot stat \(file): \(String(cString: strerror(errno)))")
        }
        let disk = PageTrace.blockDevice(of: UInt64(info.st_dev))
        return "\(disk.major):\(disk.minor)"
    }

    /// Measures now: up to `sequentialLimit` bytes (or `seconds`) of 1 MiB reads, then 4 KiB
    /// reads at random page offsets for `seconds`.
    public static func measure(file: String, sequentialLimit: UInt64 = 512 << 20, seconds: Double = 2)
        throws(TraceError)
        -> DiskCeiling
    {
        let device = try device(of: file)
        let fd = open(file, O_RDONLY | Self.directFlag | O_CLOEXEC)
        guard fd >= 0 else {
            throw TraceError(
                .unavailable, "cannot open \(file) with O_DIRECT: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let size = UInt64(info.st_size)
        let block = 1 << 20
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 4096, block) == 0, let buffer = raw else {
            throw TraceError(.system, "cannot allocate an aligned buffer")
        }
        defer { free(buffer) }

        // Sequential.
        var offset: UInt64 = 0
        let sequentialStart = MonotonicInstant.now()
        while offset < min(size, sequentialLimit), (MonotonicInstant.now() - sequentialStart).seconds < seconds {
            let count = pread(fd, buffer, block, off_t(offset))
            guard count > 0 else {
                if count < 0 {
                    throw TraceError(.system, "O_DIRECT read of \(file) failed: \(String(cString: strerror(errno)))")
                }
                break
            }
            offset += UInt64(count)
        }
        let sequentialSeconds = max((MonotonicInstant.now() - sequentialStart).seconds, 1e-9)

        // Random 4 KiB, a fixed sequence of offsets (a 64-bit LCG), so runs read the same pages.
        let pages = max(size / 4096, 1)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var reads = 0
        let randomStart = MonotonicInstant.now()
        while (MonotonicInstant.now() - randomStart).seconds < seconds {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let page = (state >> 11) % pages
            guard pread(fd, buffer, 4096, off_t(page * 4096)) > 0 else {
                throw TraceError(.system, "O_DIRECT read of \(file) failed: \(String(cString: strerror(errno)))")
            }
            reads += 1
        }
        let randomSeconds = max((MonotonicInstant.now() - randomStart).seconds, 1e-9)
        return DiskCeiling(
            device: device, sequentialMBps: Double(offset) / 1e6 / sequentialSeconds,
            random4KMBps: Double(reads) * 4096 / 1e6 / randomSeconds, random4KIOPS: Double(reads) / randomSeconds,
            sequentialBlockBytes: block, sequentialBytes: offset, randomReads: reads, file: file,
            measuredAt: ISO8601DateFormatter().string(from: Date()))
    }
}
