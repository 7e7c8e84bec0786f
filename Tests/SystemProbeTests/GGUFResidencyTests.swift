import Foundation
import Testing
import TestSupport
@testable import SystemProbe

/// Builds a small GGUF v3 file in memory.
struct GGUFBuilder {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }

    /// A file with the given tensors (name, relative offset), an array and a string in the metadata.
    static func file(tensors: [(String, UInt64)], dataBytes: Int) -> [UInt8] {
        var b = GGUFBuilder()
        b.bytes = Array("GGUF".utf8)
        b.u32(3)
        b.u64(UInt64(tensors.count))
        b.u64(3)
        b.string("general.architecture")
        b.u32(8)
        b.string("llama")
        b.string("tokenizer.ggml.tokens")
        b.u32(9)
        b.u32(8)
        b.u64(2)
        b.string("a")
        b.string("bc")
        b.string("general.alignment")
        b.u32(4)
        b.u32(64)
        for (name, offset) in tensors {
            b.string(name)
            b.u32(2)
            b.u64(16)
            b.u64(4)
            b.u32(0)
            b.u64(offset)
        }
        while b.bytes.count % 64 != 0 { b.bytes.append(0) }
        return b.bytes + [UInt8](repeating: 1, count: dataBytes)
    }
}

@Suite struct GGUFResidencyTests {
    @Test func parsesASyntheticHeader() throws {
        let bytes = GGUFBuilder.file(
            tensors: [("token_embd.weight", 0), ("blk.0.attn_q.weight", 8192)], dataBytes: 12288)
        let header = try GGUFHeader.parse(bytes, fileSize: UInt64(bytes.count))
        #expect(header.version == 3)
        #expect(header.metadata["general.architecture"] == "llama")
        #expect(header.metadata["tokenizer.ggml.tokens"] == "[array of 2]")
        #expect(header.alignment == 64)
        #expect(header.dataOffset % 64 == 0)
        #expect(header.tensors.map(\.name) == ["token_embd.weight", "blk.0.attn_q.weight"])
        #expect(header.tensors[0].fileOffset == header.dataOffset)
        #expect(header.tensors[0].size == 8192)
        #expect(header.tensors[1].size == 4096)
        #expect(header.tensors[1].dimensions == [16, 4])
        #expect(header.tensors[1].layer == "blk.0")
    }

    @Test func truncatedAndForeignFilesAreRejected() throws {
        let bytes = GGUFBuilder.file(tensors: [("a", 0)], dataBytes: 64)
        #expect(throws: ProbeError.self) {
            try GGUFHeader.parse(Array(bytes.prefix(40)), fileSize: UInt64(bytes.count))
        }
        do {
            _ = try GGUFHeader.parse(Array(bytes.prefix(40)), fileSize: UInt64(bytes.count))
        } catch {
            #expect(GGUFHeader.isTruncation(error))
        }
        #expect(throws: ProbeError.self) { try GGUFHeader.parse(Array("PK\u{3}\u{4}xxxx".utf8), fileSize: 8) }
    }

    @Test func residencyPerRegionTensorAndLayer() {
        // 8 pages of 4096: the first half resident.
        let pages = [true, true, true, true, false, false, false, false]
        let tensors = [
            GGUFTensor(name: "token_embd.weight", dimensions: [1], typeID: 0, fileOffset: 0, size: 8192),
            GGUFTensor(name: "blk.0.a", dimensions: [1], typeID: 0, fileOffset: 8192, size: 8192),
            GGUFTensor(name: "blk.0.b", dimensions: [1], typeID: 0, fileOffset: 16384, size: 16384),
        ]
        let r = FileResidency.from(
            path: "m", fileBytes: 32768, pageSize: 4096, pages: pages, regionCount: 4, tensors: tensors)
        #expect(r.residentFraction == 0.5)
        #expect(r.regions == [1, 1, 0, 0])
        #expect(r.bitmap == "##  ")
        #expect(r.tensors?.map(\.residentFraction) == [1, 1, 0])
        #expect(r.layers?.map(\.name) == ["token_embd", "blk.0"])
        #expect(r.layers?.last?.bytes == 24576)
        #expect(abs((r.layers?.last?.residentFraction ?? -1) - 1.0 / 3.0) < 1e-9)
    }

    @Test func realModelHeaderAndResidency() throws {
        try #require(TestPaths.hasDefaultModel, "the default model is absent: run scripts/bootstrap")
        let header = try GGUFHeader.read(path: TestPaths.defaultModel)
        #expect(header.tensors.count > 100)
        #expect(header.metadata["general.architecture"] == "llama")
        #expect(header.tensors.contains { $0.name == "blk.0.attn_q.weight" })
        let total = header.tensors.reduce(0) { $0 + $1.size }
        #expect(total + header.dataOffset == 98_362_432)
        let residency = try FileResidency.measure(path: TestPaths.defaultModel, tensors: true)
        #expect(residency.totalPages == (98_362_432 + ProcFS.pageSize - 1) / ProcFS.pageSize)
        #expect((0...1).contains(residency.residentFraction))
        #expect(residency.layers?.contains { $0.name == "blk.29" } == true)
    }
}
