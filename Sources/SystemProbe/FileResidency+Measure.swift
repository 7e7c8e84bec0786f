#if canImport(Glibc)
    import Glibc
#endif

extension FileResidency {
    /// Measures a file's page-cache residency with `mincore` over a read-only shared mapping
    /// (mapping does not fault pages in). With `tensors`, also parses the GGUF header *after*
    /// measuring (reading the header brings its pages in) and reports per tensor and layer.
    public static func measure(path: String, regionCount: Int = 64, tensors: Bool = false) throws -> FileResidency {
        let pages = try residentPages(path: path)
        var table: [GGUFTensor]?
        if tensors { table = try? GGUFHeader.read(path: path).tensors }
        return from(
            path: path, fileBytes: pages.fileBytes, pageSize: ProcFS.pageSize, pages: pages.bitmap,
            regionCount: regionCount, tensors: table)
    }

    /// The resident fraction alone, measured once as `FileResidencyMonitor` does (`cachestat`,
    /// or `mincore` where the kernel lacks it). A sampler keeps a monitor instead, which keeps
    /// the file open and rate-limits.
    public static func residentFraction(path: String) throws -> Double {
        if let fraction = FileResidencyMonitor(path: path, intervalMilliseconds: 0).measure() { return fraction }
        throw ProbeError(
            .unreadable, "cannot measure the residency of \(path): \(String(cString: strerror(errno))); check the path")
    }

    /// The page bitmap of a file.
    public static func residentPages(path: String) throws -> (fileBytes: UInt64, bitmap: [Bool]) {
        let result = try mincoreVector(path: path)
        return (result.fileBytes, result.vector.map { $0 & 1 == 1 })
    }

    /// The raw `mincore` vector of a file (bit 0 of each byte: resident).
    static func mincoreVector(path: String) throws -> (fileBytes: UInt64, vector: [UInt8]) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ProbeError(.unreadable, "cannot open \(path): \(String(cString: strerror(errno))); check the path")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ProbeError(.system, "fstat \(path) failed") }
        let size = Int(info.st_size)
        guard size > 0 else { return (0, []) }
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw ProbeError(.system, "mmap \(path) failed: \(String(cString: strerror(errno)))")
        }
        defer { munmap(map, size) }
        let pageCount = (size + ProcFS.pageSize - 1) / ProcFS.pageSize
        var vector = [UInt8](repeating: 0, count: pageCount)
        let status = vector.withUnsafeMutableBufferPointer { mincore(map, size, $0.baseAddress) }
        guard status == 0 else {
            throw ProbeError(.system, "mincore \(path) failed: \(String(cString: strerror(errno)))")
        }
        return (UInt64(size), vector)
    }
}

extension GGUFHeader {
    /// Reads and parses a GGUF file's header with `pread`, growing the buffer until it fits.
    public static func read(path: String) throws -> GGUFHeader {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProbeError(.unreadable, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // No readahead: only the pages read come into the cache (a page trace drops them again).
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ProbeError(.system, "fstat \(path) failed") }
        let fileSize = UInt64(info.st_size)
        var length = 1 << 20
        while true {
            let want = Int(min(UInt64(length), fileSize))
            var bytes = [UInt8](repeating: 0, count: want)
            var got = 0
            while got < want {
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want - got, off_t(got)) }
                if n <= 0 { break }
                got += n
            }
            do {
                return try parse(Array(bytes[0..<got]), fileSize: fileSize)
            } catch  where isTruncation(error) && UInt64(got) < fileSize {
                length *= 4
            }
        }
    }
}
