/// How much of a file is in the page cache, overall, per region, and per GGUF tensor / layer.
///
/// Built purely from a page bitmap (as `mincore` returns it); `FileResidency.measure` is the
/// I/O adapter.
public struct FileResidency: Sendable, Codable, Equatable {
    public var path: String
    public var fileBytes: UInt64
    public var pageSize: Int
    public var residentPages: Int
    public var totalPages: Int
    /// Resident pages / total pages (0 for an empty file).
    public var residentFraction: Double
    /// The file cut into `regions.count` equal regions, each its resident fraction.
    public var regions: [Double]
    /// The regions as one character each: ' ' none, '.' < 25 %, ':' < 50 %, '+' < 75 %, '#' more.
    public var bitmap: String
    /// Per GGUF tensor, when the file is a GGUF model and tensors were asked for.
    public var tensors: [TensorResidency]?
    /// Per layer ("blk.N", "token_embd", ...), in file order.
    public var layers: [TensorResidency]?

    enum CodingKeys: String, CodingKey {
        case path, regions, bitmap, tensors, layers
        case fileBytes = "file_bytes", pageSize = "page_size", residentPages = "resident_pages"
        case totalPages = "total_pages", residentFraction = "resident_fraction"
    }

    /// The residency of a file from its page bitmap (`true` = resident).
    public static func from(
        path: String, fileBytes: UInt64, pageSize: Int, pages: [Bool], regionCount: Int = 64,
        tensors: [GGUFTensor]? = nil
    ) -> FileResidency {
        let resident = pages.reduce(0) { $0 + ($1 ? 1 : 0) }
        let count = pages.isEmpty ? 0 : min(max(regionCount, 1), pages.count)
        var regions: [Double] = []
        for region in 0..<count {
            let start = region * pages.count / count
            let end = (region + 1) * pages.count / count
            regions.append(fraction(pages, start, end))
        }
        let bitmap = String(regions.map { $0 == 0 ? " " : $0 < 0.25 ? "." : $0 < 0.5 ? ":" : $0 < 0.75 ? "+" : "#" })
        var result = FileResidency(
            path: path, fileBytes: fileBytes, pageSize: pageSize, residentPages: resident, totalPages: pages.count,
            residentFraction: pages.isEmpty ? 0 : Double(resident) / Double(pages.count), regions: regions,
            bitmap: bitmap)
        if let tensors {
            let perTensor = tensors.map { tensor -> TensorResidency in
                let (start, end) = pageRange(
                    offset: tensor.fileOffset, size: tensor.size, pageSize: pageSize, pages: pages.count)
                return TensorResidency(
                    name: tensor.name, offset: tensor.fileOffset, bytes: tensor.size,
                    residentFraction: fraction(pages, start, end))
            }
            result.tensors = perTensor
            var layers: [String: (offset: UInt64, bytes: UInt64, weighted: Double)] = [:]
            for (tensor, residency) in zip(tensors, perTensor) {
                var entry = layers[tensor.layer] ?? (tensor.fileOffset, 0, 0)
                entry.offset = min(entry.offset, tensor.fileOffset)
                entry.bytes += tensor.size
                entry.weighted += residency.residentFraction * Double(tensor.size)
                layers[tensor.layer] = entry
            }
            result.layers = layers.map {
                TensorResidency(
                    name: $0.key, offset: $0.value.offset, bytes: $0.value.bytes,
                    residentFraction: $0.value.bytes == 0 ? 0 : $0.value.weighted / Double($0.value.bytes))
            }.sorted { $0.offset < $1.offset }
        }
        return result
    }

    static func pageRange(offset: UInt64, size: UInt64, pageSize: Int, pages: Int) -> (Int, Int) {
        let page = UInt64(max(pageSize, 1))
        let start = Int(min(offset / page, UInt64(pages)))
        let end = Int(min((offset + size + page - 1) / page, UInt64(pages)))
        return (start, max(start, end))
    }

    static func fraction(_ pages: [Bool], _ start: Int, _ end: Int) -> Double {
        guard end > start else { return 0 }
        var count = 0
        for index in start..<end where pages[index] { count += 1 }
        return Double(count) / Double(end - start)
    }
}

/// The page-cache residency of one tensor or one layer.
public struct TensorResidency: Sendable, Codable, Equatable {
    public var name: String
    public var offset: UInt64
    public var bytes: UInt64
    public var residentFraction: Double

    enum CodingKeys: String, CodingKey { case name, offset, bytes, residentFraction = "resident_fraction" }
}
