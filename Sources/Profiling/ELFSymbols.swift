/// The functions an ELF shared object exports (its dynamic symbol table), with the file offset of
/// each: what a uprobe is placed at (`path:offset`).
///
/// Parsed here rather than by running `readelf --dyn-syms` or `nm -D`: those come with binutils, a
/// development package the bootstrap does not install on a measuring machine, and their text
/// changes between versions; the dynamic symbol table is three fixed-layout tables (program
/// headers, section headers, `Elf64_Sym`) read with bounds checks. Only 64-bit little-endian
/// objects (x86-64, arm64) with section headers are read, which every distribution's libc is.
struct ELFSymbols: Sendable, Equatable {
    /// A defined function: its address in the object (`st_value`) and where that is in the file.
    struct Function: Sendable, Equatable {
        var address: UInt64
        var fileOffset: UInt64
    }

    /// Defined functions by name (the first definition of a name when versions repeat it).
    var functions: [String: Function]

    struct ParseError: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    private static let loadSegment: UInt32 = 1
    private static let dynamicSymbolSection: UInt32 = 11
    private static let functionType: UInt8 = 2
    private static let undefinedSection: UInt16 = 0

    /// Reads the dynamic symbol table of an ELF file's bytes.
    init(_ bytes: [UInt8]) throws(ParseError) {
        let file = Bytes(bytes)
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw ParseError(description: "not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else {
            throw ParseError(description: "not a 64-bit little-endian ELF file")
        }
        let segments = try Self.loadSegments(file)
        let (symbols, strings) = try Self.dynamicSymbolTable(file)
        var functions: [String: Function] = [:]
        var at = symbols.offset
        while at + 24 <= symbols.offset + symbols.size {
            defer { at += 24 }
            guard let nameOffset = file.u32(at), let info = file.u8(at + 4), let section = file.u16(at + 6),
                let value = file.u64(at + 8)
            else { throw ParseError(description: "a dynamic symbol runs past the end of the file") }
            guard info & 0xf == Self.functionType, section != Self.undefinedSection, value != 0,
                let name = file.string(at: strings.offset + Int(nameOffset), limit: strings.offset + strings.size),
                functions[name] == nil,
                let segment = segments.first(where: { $0.address <= value && value - $0.address < $0.fileSize })
            else { continue }
            functions[name] = Function(address: value, fileOffset: value - segment.address + segment.offset)
        }
        self.functions = functions
    }

    private struct Segment {
        var offset: UInt64
        var address: UInt64
        var fileSize: UInt64
    }

    /// The `PT_LOAD` program headers: which file bytes are mapped at which addresses.
    private static func loadSegments(_ file: Bytes) throws(ParseError) -> [Segment] {
        guard let table = file.u64(0x20), table < UInt64(file.count), let entrySize = file.u16(0x36),
            let count = file.u16(0x38)
        else { throw ParseError(description: "truncated ELF header") }
        var segments: [Segment] = []
        for index in 0..<Int(count) {
            let at = Int(table) + index * Int(entrySize)
            guard let type = file.u32(at), let offset = file.u64(at + 8), let address = file.u64(at + 16),
                let fileSize = file.u64(at + 32)
            else { throw ParseError(description: "a program header runs past the end of the file") }
            if type == loadSegment { segments.append(Segment(offset: offset, address: address, fileSize: fileSize)) }
        }
        return segments
    }

    /// The `.dynsym` section and the string table its `sh_link` names, as (offset, size) in the file.
    private static func dynamicSymbolTable(_ file: Bytes) throws(ParseError) -> (
        symbols: (offset: Int, size: Int), strings: (offset: Int, size: Int)
    ) {
        guard let table = file.u64(0x28), table < UInt64(file.count), let entrySize = file.u16(0x3a),
            let count = file.u16(0x3c), count > 0
        else { throw ParseError(description: "no section headers (a stripped object is not supported)") }
        func section(_ index: Int) throws(ParseError) -> (type: UInt32, offset: Int, size: Int, link: Int) {
            let at = Int(table) + index * Int(entrySize)
            guard let type = file.u32(at + 4), let offset = file.u64(at + 24), let size = file.u64(at + 32),
                let link = file.u32(at + 40), offset <= UInt64(file.count), size <= UInt64(file.count) - offset
            else { throw ParseError(description: "a section header runs past the end of the file") }
            return (type, Int(offset), Int(size), Int(link))
        }
        for index in 0..<Int(count) {
            let symbols = try section(index)
            guard symbols.type == dynamicSymbolSection else { continue }
            guard symbols.link < Int(count) else { throw ParseError(description: ".dynsym links no string table") }
            let strings = try section(symbols.link)
            return ((symbols.offset, symbols.size), (strings.offset, strings.size))
        }
        throw ParseError(description: "no dynamic symbol table (.dynsym)")
    }
}

/// Little-endian reads from a file's bytes that return nil past its end.
private struct Bytes {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var count: Int { bytes.count }

    func u8(_ at: Int) -> UInt8? { at >= 0 && at < bytes.count ? bytes[at] : nil }
    func u16(_ at: Int) -> UInt16? { read(at, as: UInt16.self).map { UInt16(littleEndian: $0) } }
    func u32(_ at: Int) -> UInt32? { read(at, as: UInt32.self).map { UInt32(littleEndian: $0) } }
    func u64(_ at: Int) -> UInt64? { read(at, as: UInt64.self).map { UInt64(littleEndian: $0) } }

    private func read<T: FixedWidthInteger>(_ at: Int, as type: T.Type) -> T? {
        guard at >= 0, at + MemoryLayout<T>.size <= bytes.count else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: T.self) }
    }

    /// The NUL-terminated string at `at`, not reading at or past `limit`.
    func string(at: Int, limit: Int) -> String? {
        guard at >= 0, at < min(limit, bytes.count) else { return nil }
        guard let end = bytes[at..<min(limit, bytes.count)].firstIndex(of: 0) else { return nil }
        return String(decoding: bytes[at..<end], as: UTF8.self)
    }
}
