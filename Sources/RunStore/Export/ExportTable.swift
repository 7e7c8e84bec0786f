import Foundation

/// One table to export: typed columns and its rows, the one shape the CSV, JSONL and Parquet
/// writers read. Built from SQLite (its declared column types) or from values a report computed
/// (explanations, probe samples by metric).
public struct ExportTable: Sendable, Equatable {
    public enum ColumnType: String, Sendable, Equatable {
        case integer
        case double
        case text
        case boolean
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: ColumnType
        public var nullable: Bool

        public init(_ name: String, _ type: ColumnType, nullable: Bool = true) {
            self.name = name
            self.type = type
            self.nullable = nullable
        }
    }

    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case double(Double)
        case text(String)
        case boolean(Bool)
    }

    public var name: String
    public var columns: [Column]
    public var rows: [[Value]]

    public init(name: String, columns: [Column], rows: [[Value]] = []) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }

    /// The column type SQLite's declared type maps to (its affinity rules, with BOOLEAN kept).
    public static func columnType(declared: String) -> ColumnType {
        let type = declared.uppercased()
        if type.contains("BOOL") { return .boolean }
        if type.contains("INT") { return .integer }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") || type.isEmpty { return .text }
        if type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB") { return .double }
        return .text
    }

    /// A value coerced to its column's type: SQLite stores whatever a row was given, a Parquet
    /// column holds one type. A value that does not convert is null (and the column nullable).
    static func coerce(_ value: Value, to type: ColumnType) -> Value {
        switch (value, type) {
        case (.null, _): return .null
        case (.integer, .integer), (.double, .double), (.text, .text), (.boolean, .boolean): return value
        case (.integer(let v), .double): return .double(Double(v))
        case (.integer(let v), .boolean): return .boolean(v != 0)
        case (.double(let v), .integer): return v.rounded() == v && abs(v) < 9e18 ? .integer(Int64(v)) : .null
        case (.boolean(let v), .integer): return .integer(v ? 1 : 0)
        case (.text(let v), .integer): return Int64(v).map(Value.integer) ?? .null
        case (.text(let v), .double): return Double(v).map(Value.double) ?? .null
        case (.integer(let v), .text): return .text(String(v))
        case (.double(let v), .text): return .text(String(v))
        case (.boolean(let v), .text): return .text(v ? "true" : "false")
        default: return .null
        }
    }

    /// Each row's values coerced to the column types; a column that holds a null becomes nullable.
    public func normalized() -> ExportTable {
        var table = self
        table.rows = rows.map { row in
            zip(row, columns).map { value, column in Self.coerce(value, to: column.type) }
        }
        for (index, column) in columns.enumerated() where !column.nullable {
            if table.rows.contains(where: { $0[index] == .null }) { table.columns[index].nullable = true }
        }
        return table
    }

    // MARK: - Writers

    /// CSV: a header line, then one line per row; null is an empty field.
    public func csv() -> String {
        var out = columns.map { RunStore.csvField($0.name) }.joined(separator: ",") + "\n"
        for row in rows {
            out += row.map { RunStore.csvField(Self.text($0)) }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// JSON Lines: one object per row, null fields written as null, non-finite numbers as null.
    public func jsonl() -> String {
        var out = ""
        for row in rows {
            let fields = zip(columns, row).map { column, value in
                RunStore.jsonString(column.name) + ":" + Self.json(value)
            }
            out += "{" + fields.joined(separator: ",") + "}\n"
        }
        return out
    }

    static func text(_ value: Value) -> String {
        switch value {
        case .null: ""
        case .integer(let v): String(v)
        case .double(let v): String(v)
        case .text(let v): v
        case .boolean(let v): v ? "1" : "0"
        }
    }

    static func json(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .integer(let v): String(v)
        case .double(let v): v.isFinite ? String(v) : "null"
        case .text(let v): RunStore.jsonString(v)
        case .boolean(let v): v ? "true" : "false"
        }
    }
}
