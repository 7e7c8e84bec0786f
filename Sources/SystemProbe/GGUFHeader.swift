/// One tensor of a GGUF file: where its bytes are in the file.
public struct GGUFTensor: Sendable, Codable, Equatable {
    public var name: String
    /// The dimensions, innermost first.
    public var dimensions: [UInt64]
    /// The ggml type id (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0, 12 Q4_K, ...).
    public var typeID: UInt32
    /// The absolute byte offset of the tensor's data in the file.
    public var fileOffset: UInt64
    /// Bytes up to the next tensor (or the end of the file), alignment padding included.
    public var size: UInt64

    enum CodingKeys: String, CodingKey {
        case name, dimensions, size, typeID = "type_id", fileOffset = "file_offset"
    }

    public init(name: String, dimensions: [UInt64], typeID: UInt32, fileOffset: UInt64, size: UInt64) {
        self.name = name
        self.dimensions = dimensions
        self.typeID = typeID
        self.fileOffset = fileOffset
        self.size = size
    }

    /// The layer a tensor belongs to: "blk.N" for `blk.N.*`, otherwise the name's first part
    /// ("token_embd", "output_norm", "output").
    public var layer: String {
        let parts = name.split(separator: ".")
        if parts.count >= 2, parts[0] == "blk" { return "blk.\(parts[1])" }
        return String(parts.first ?? "")
    }
}

/// The header of a GGUF file (version 2 or 3): metadata scalars and the tensor table.
///
/// A pure parser over bytes: `parse` throws `notGGUF` with "truncated" when the buffer ends
/// inside the header, so a reader can retry with more bytes.
public struct GGUFHeader: Sendable, Codable, Equatable {
    public var version: UInt32
    /// Scalar metadata as text (arrays are summarised as "[array of N]").
    public var metadata: [String: String]
    public var tensors: [GGUFTensor]
    /// The absolute offset where tensor data starts.
    public var dataOffset: UInt64
    public var alignment: UInt64

    enum CodingKeys: String, CodingKey {
        case version, metadata, tensors, alignment, dataOffset = "data_offset"
    }

    /// Whether the error means "give me more bytes".
    public static func isTruncation(_ error: any Error) -> Bool {
        (error as? ProbeError)?.message.hasPrefix("truncated") == true
    }

    /// Parses a header from the first bytes of a file of `fileSize` bytes.
    public static func parse(_ bytes: [UInt8], fileSize: UInt64) throws -> GGUFHeader {
        var r = Reader(bytes: bytes)
        guard bytes.count >= 4, bytes[0] == 0x47, bytes[1] == 0x47, bytes[2] == 0x55, bytes[3] == 0x46 else {
            throw ProbeError(.notGGUF, "the file does not start with the GGUF magic")
        }
        r.position = 4
        let version = try r.u32()
        guard version == 2 || version == 3 else { throw ProbeError(.notGGUF, "unsupported GGUF version \(version)") }
        let tensorCount = try r.u64()
        let kvCount = try r.u64()
        var metadata: [String: String] = [:]
        for _ in 0..<kvCount {
            let key = try r.string()
            let type = try r.u32()
            metadata[key] = try r.value(type: type)
        }
        var raw: [(String, [UInt64], UInt32, UInt64)] = []
        for _ in 0..<tensorCount {
            let name = try r.string()
            let dims = try r.u32()
            guard dims <= 8 else { throw ProbeError(.notGGUF, "tensor \(name) has \(dims) dimensions") }
            var shape: [UInt64] = []
            for _ in 0..<dims { shape.append(try r.u64()) }
            raw.append((name, shape, try r.u32(), try r.u64()))
        }
        let alignment = metadata["general.alignment"].flatMap { UInt64($0) } ?? 32
        let position = UInt64(r.position)
        let dataOffset = (position + alignment - 1) / alignment * alignment
        let order = raw.indices.sorted { raw[$0].3 < raw[$1].3 }
        var tensors = raw.map {
            GGUFTensor(name: $0.0, dimensions: $0.1, typeID: $0.2, fileOffset: dataOffset + $0.3, size: 0)
        }
        for (rank, index) in order.enumerated() {
            let end =
                rank + 1 < order.count ? tensors[order[rank + 1]].fileOffset : max(fileSize, tensors[index].fileOffset)
            tensors[index].size = end - tensors[index].fileOffset
        }
        return GGUFHeader(
            version: version, metadata: metadata, tensors: tensors, dataOffset: dataOffset, alignment: alignment)
    }

    /// A little-endian cursor over the header bytes.
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, position + count <= bytes.count else {
                throw ProbeError(.notGGUF, "truncated GGUF header (needs more than \(bytes.count) bytes)")
            }
            defer { position += count }
            return bytes[position..<(position + count)]
        }
        mutating func integer(_ size: Int) throws -> UInt64 {
            var value: UInt64 = 0
            for (shift, byte) in try take(size).enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
            return value
        }
        mutating func u32() throws -> UInt32 { UInt32(try integer(4)) }
        mutating func u64() throws -> UInt64 { try integer(8) }
        mutating func string() throws -> String {
            let length = try u64()
            guard length < 1 << 24 else { throw ProbeError(.notGGUF, "a GGUF string is \(length) bytes long") }
            return String(decoding: try take(Int(length)), as: UTF8.self)
        }
        /// Reads one value; scalars become text, arrays are skipped and summarised.
        mutating func value(type: UInt32) throws -> String {
            switch type {
            case 0: return "\(try integer(1))"
            case 1: return "\(Int8(truncatingIfNeeded: try integer(1)))"
            case 2: return "\(try integer(2))"
            case 3: return "\(Int16(truncatingIfNeeded: try integer(2)))"
            case 4: return "\(try integer(4))"
            case 5: return "\(Int32(truncatingIfNeeded: try integer(4)))"
            case 6: return "\(Float(bitPattern: UInt32(try integer(4))))"
            case 7: return try integer(1) != 0 ? "true" : "false"
            case 8: return try string()
            case 9:
                let itemType = try u32()
                let count = try u64()
                guard count < 1 << 28 else { throw ProbeError(.notGGUF, "a GGUF array has \(count) items") }
                let fixed: [UInt32: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]
                if let width = fixed[itemType] {
                    _ = try take(Int(count) * width)
                } else {
                    for _ in 0..<count { _ = try value(type: itemType) }
                }
                return "[array of \(count)]"
            case 10: return "\(try u64())"
            case 11: return "\(Int64(bitPattern: try u64()))"
            case 12: return "\(Double(bitPattern: try u64()))"
            default: throw ProbeError(.notGGUF, "unknown GGUF value type \(type)")
            }
        }
    }
}
