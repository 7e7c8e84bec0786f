public import Foundation

/// Writes an `ExportTable` as an Apache Parquet file (format 2.x readers, version 1 footer): one
/// column chunk per column and row group, each one uncompressed data page (v1), values PLAIN
/// encoded, definition levels of nullable columns RLE/bit-packed. Types: INT64, DOUBLE, BOOLEAN
/// and BYTE_ARRAY annotated as UTF-8 strings (a STRING logical type), so pyarrow, DuckDB and
/// pandas read each column with its type. The footer is Thrift's compact protocol, written by
/// `ThriftCompactWriter` below.
public enum ParquetWriter {
    /// Rows per row group: bounded pages for big event tables, one group for most tables.
    public static let rowGroupSize = 65_536

    public static func data(_ table: ExportTable, createdBy: String = "inferlab") -> Data {
        let table = table.normalized()
        var file = Data("PAR1".utf8)
        var rowGroups: [RowGroupMeta] = []
        var start = 0
        while start < table.rows.count {
            let end = min(start + rowGroupSize, table.rows.count)
            var chunks: [ChunkMeta] = []
            for (index, column) in table.columns.enumerated() {
                let values = table.rows[start..<end].map { $0[index] }
                let offset = Int64(file.count)
                let page = page(column, values)
                file.append(page)
                chunks.append(ChunkMeta(column: column, values: Int64(values.count), offset: offset, size: page.count))
            }
            rowGroups.append(RowGroupMeta(chunks: chunks, rows: Int64(end - start)))
            start = end
        }
        let footer = footer(table, rowGroups: rowGroups, createdBy: createdBy)
        file.append(footer)
        var length = UInt32(footer.count).littleEndian
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        file.append(Data("PAR1".utf8))
        return file
    }

    // MARK: - Physical layout

    struct ChunkMeta {
        var column: ExportTable.Column
        var values: Int64
        var offset: Int64
        var size: Int
    }

    struct RowGroupMeta {
        var chunks: [ChunkMeta]
        var rows: Int64
    }

    /// Parquet's enums, by their numbers in parquet.thrift.
    enum PhysicalType: Int32 {
        case boolean = 0
        case int64 = 2
        case double = 5
        case byteArray = 6
    }

    static func physicalType(_ type: ExportTable.ColumnType) -> PhysicalType {
        switch type {
        case .integer: .int64
        case .double: .double
        case .text: .byteArray
        case .boolean: .boolean
        }
    }

    static let plain: Int32 = 0
    static let rle: Int32 = 3

    /// One data page: its header, the definition levels (nullable columns), the present values.
    static func page(_ column: ExportTable.Column, _ values: [ExportTable.Value]) -> Data {
        var body = Data()
        if column.nullable {
            let levels = definitionLevels(values.map { $0 != .null })
            var length = UInt32(levels.count).littleEndian
            withUnsafeBytes(of: &length) { body.append(contentsOf: $0) }
            body.append(levels)
        }
        body.append(plainValues(values.filter { $0 != .null }, type: column.type))
        var header = ThriftCompactWriter()
        header.field(1, i32: 0)  // DATA_PAGE
        header.field(2, i32: Int32(body.count))
        header.field(3, i32: Int32(body.count))
        header.beginStruct(5)  // DataPageHeader
        header.field(1, i32: Int32(values.count))
        header.field(2, i32: plain)
        header.field(3, i32: rle)
        header.field(4, i32: rle)
        header.endStruct()
        header.stop()
        return header.bytes + body
    }

    /// Definition levels of bit width 1 as one bit-packed run of the RLE/bit-packing hybrid:
    /// the header `(groups << 1) | 1`, then 8 levels per byte, least significant bit first.
    static func definitionLevels(_ present: [Bool]) -> Data {
        let groups = (present.count + 7) / 8
        var out = Data()
        ThriftCompactWriter.appendVarint(UInt64(groups << 1 | 1), to: &out)
        var byte: UInt8 = 0
        for (index, isPresent) in present.enumerated() {
            if isPresent { byte |= 1 << UInt8(index % 8) }
            if index % 8 == 7 {
                out.append(byte)
                byte = 0
            }
        }
        if present.count % 8 != 0 { out.append(byte) }
        return out
    }

    /// PLAIN encoding: little-endian fixed width numbers, booleans bit-packed, byte arrays with a
    /// 4-byte length.
    static func plainValues(_ values: [ExportTable.Value], type: ExportTable.ColumnType) -> Data {
        var out = Data()
        switch type {
        case .boolean:
            var byte: UInt8 = 0
            for (index, value) in values.enumerated() {
                if case .boolean(true) = value { byte |= 1 << UInt8(index % 8) }
                if index % 8 == 7 {
                    out.append(byte)
                    byte = 0
                }
            }
            if values.count % 8 != 0 { out.append(byte) }
        case .integer:
            for case .integer(let v) in values {
                var little = v.littleEndian
                withUnsafeBytes(of: &little) { out.append(contentsOf: $0) }
            }
        case .double:
            for case .double(let v) in values {
                var little = v.bitPattern.littleEndian
                withUnsafeBytes(of: &little) { out.append(contentsOf: $0) }
            }
        case .text:
            for case .text(let v) in values {
                let bytes = Data(v.utf8)
                var length = UInt32(bytes.count).littleEndian
                withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
                out.append(bytes)
            }
        }
        return out
    }

    /// FileMetaData: the schema (a root group, then one leaf per column), the row groups and
    /// their column chunks.
    static func footer(_ table: ExportTable, rowGroups: [RowGroupMeta], createdBy: String) -> Data {
        var w = ThriftCompactWriter()
        w.field(1, i32: 1)
        w.beginList(2, count: table.columns.count + 1)
        w.beginElement()
        w.field(4, string: "schema")
        w.field(5, i32: Int32(table.columns.count))
        w.endElement()
        for column in table.columns {
            w.beginElement()
            w.field(1, i32: physicalType(column.type).rawValue)
            w.field(3, i32: column.nullable ? 1 : 0)  // OPTIONAL : REQUIRED
            w.field(4, string: column.name)
            if column.type == .text {
                w.field(6, i32: 0)  // ConvertedType UTF8
                w.beginStruct(10)  // LogicalType
                w.beginStruct(1)  // STRING
                w.endStruct()
                w.endStruct()
            }
            w.endElement()
        }
        w.field(3, i64: Int64(table.rows.count))
        w.beginList(4, count: rowGroups.count)
        for group in rowGroups {
            w.beginElement()
            w.beginList(1, count: group.chunks.count)
            for chunk in group.chunks {
                w.beginElement()
                w.field(2, i64: chunk.offset)
                w.beginStruct(3)  // ColumnMetaData
                w.field(1, i32: physicalType(chunk.column.type).rawValue)
                w.fieldList(2, i32s: [plain, rle])
                w.fieldList(3, strings: [chunk.column.name])
                w.field(4, i32: 0)  // UNCOMPRESSED
                w.field(5, i64: chunk.values)
                w.field(6, i64: Int64(chunk.size))
                w.field(7, i64: Int64(chunk.size))
                w.field(9, i64: chunk.offset)
                w.endStruct()
                w.endElement()
            }
            w.field(2, i64: group.chunks.reduce(0) { $0 + Int64($1.size) })
            w.field(3, i64: group.rows)
            w.endElement()
        }
        w.field(6, string: createdBy)
        w.stop()
        return w.bytes
    }
}

/// Thrift's compact protocol, as much of it as a Parquet footer needs: structs, i32, i64,
/// strings and lists. Field ids are written as deltas from the previous field of the same
/// struct; each nested struct starts its own count.
struct ThriftCompactWriter {
    private(set) var bytes = Data()
    private var lastField: [Int16] = [0]

    enum CompactType: UInt8 {
        case i32 = 5
        case i64 = 6
        case binary = 8
        case list = 9
        case structure = 12
    }

    static func appendVarint(_ value: UInt64, to data: inout Data) {
        var v = value
        while v >= 0x80 {
            data.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        data.append(UInt8(v))
    }

    private mutating func varint(_ value: UInt64) { Self.appendVarint(value, to: &bytes) }
    private mutating func zigzag(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    private mutating func header(_ id: Int16, _ type: CompactType) {
        let delta = id - lastField[lastField.count - 1]
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func field(_ id: Int16, i32 value: Int32) {
        header(id, .i32)
        zigzag(Int64(value))
    }

    mutating func field(_ id: Int16, i64 value: Int64) {
        header(id, .i64)
        zigzag(value)
    }

    mutating func field(_ id: Int16, string value: String) {
        header(id, .binary)
        string(value)
    }

    private mutating func string(_ value: String) {
        let utf8 = Data(value.utf8)
        varint(UInt64(utf8.count))
        bytes.append(utf8)
    }

    private mutating func listHeader(_ id: Int16, count: Int, element: CompactType) {
        header(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | element.rawValue)
        } else {
            bytes.append(0xF0 | element.rawValue)
            varint(UInt64(count))
        }
    }

    mutating func fieldList(_ id: Int16, i32s: [Int32]) {
        listHeader(id, count: i32s.count, element: .i32)
        for value in i32s { zigzag(Int64(value)) }
    }

    mutating func fieldList(_ id: Int16, strings: [String]) {
        listHeader(id, count: strings.count, element: .binary)
        for value in strings { string(value) }
    }

    /// A list of structs: each element between `beginElement` and `endElement`.
    mutating func beginList(_ id: Int16, count: Int) { listHeader(id, count: count, element: .structure) }
    mutating func beginElement() { lastField.append(0) }

    mutating func endElement() {
        stop()
        lastField.removeLast()
    }

    /// A struct field: its fields, then `endStruct`.
    mutating func beginStruct(_ id: Int16) {
        header(id, .structure)
        lastField.append(0)
    }

    mutating func endStruct() {
        stop()
        lastField.removeLast()
    }

    /// The end of the outermost struct (or of a nested one opened by hand).
    mutating func stop() { bytes.append(0) }
}
