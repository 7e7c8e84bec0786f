import Foundation

/// Encodes `Encodable` values as compact JSON straight into one byte buffer: no intermediate
/// tree of boxed values, no key sorting, no Foundation number formatting. It exists for hot
/// paths that write one JSON line per event (the probe's JSONL at 100 Hz, where Foundation's
/// `JSONEncoder` cost as much CPU as reading /proc).
///
/// ```swift
/// var line = try CompactJSONEncoder().encode(sample)   // [UInt8], no trailing newline
/// ```
/// The output is what `JSONEncoder()` with `.withoutEscapingSlashes` produces up to key order
/// (keys appear in encoding order, which for synthesized `Codable` is declaration order) and
/// number spelling (`1.0` instead of `1`). `Data` is written as base64 and `URL` as its
/// absolute string, like `JSONEncoder`'s defaults. Non-finite floating-point values throw
/// `EncodingError.invalidValue`, as `JSONEncoder` does.
///
/// Containers are written as they are filled, so a nested container must be filled before its
/// parent's next element (synthesized `Codable` always does this).
public struct CompactJSONEncoder: Sendable {
    public init() {}

    /// The JSON of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        try encode(value, appendingTo: &bytes)
        return bytes
    }

    /// Appends the JSON of `value` to `bytes`.
    public func encode<T: Encodable>(_ value: T, appendingTo bytes: inout [UInt8]) throws {
        let sink = JSONSink()
        sink.bytes = bytes
        bytes = []
        defer { bytes = sink.bytes }
        try sink.encodeValue(value, codingPath: [])
    }
}

/// The buffer shared by every container of one encoding.
final class JSONSink {
    // One encoding owns its sink, on one thread: no dynamic exclusivity checks per append.
    @exclusivity(unchecked) var bytes: [UInt8] = []

    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        if T.self == Data.self, let data = value as? Data {
            appendString(data.base64EncodedString())
        } else if T.self == URL.self, let url = value as? URL {
            appendString(url.absoluteString)
        } else {
            let encoder = CompactEncoder(sink: self, codingPath: codingPath)
            try value.encode(to: encoder)
            encoder.finish()
        }
    }

    @inline(__always) func append(_ byte: UInt8) { bytes.append(byte) }

    func appendRaw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    func appendString(_ text: String) { JSONBytes.appendString(text, to: &bytes) }

    func appendInteger<I: FixedWidthInteger>(_ value: I) { JSONBytes.appendInteger(value, to: &bytes) }

    func appendFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: F, codingPath: [any CodingKey]
    ) throws { try JSONBytes.appendFloatingPoint(value, codingPath: codingPath, to: &bytes) }

    func appendBool(_ value: Bool) { appendRaw(value ? "true" : "false") }

    func appendNull() { appendRaw("null") }
}

/// How JSON spells strings and numbers, as bytes appended to a buffer: shared by
/// `CompactJSONEncoder` and `JSONObjectWriter`, so both write the same text.
public enum JSONBytes {
    /// A quoted, escaped string.
    @inlinable public static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)  // the common case: nothing to escape
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Decimal digits written straight into the buffer (no `String` per number).
    @inlinable public static func appendInteger<I: FixedWidthInteger>(_ value: I, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var index = digits.count
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    /// The shortest text that reads back as `value` (Swift's `description`, e.g. `1.0`); a
    /// non-finite value throws `EncodingError.invalidValue`, as `JSONEncoder` does.
    @inlinable public static func appendFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: F, codingPath: [any CodingKey], to bytes: inout [UInt8]
    ) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: codingPath, debugDescription: "\(value) is not a valid JSON number"))
        }
        bytes.append(contentsOf: value.description.utf8)
    }
}

/// One level of nesting: what it opened, whether an element was written, and the nested
/// encoder or container still to be closed before the next element.
final class JSONFrame {
    enum Kind { case none, object, array, single }
    var kind: Kind = .none
    var count = 0
    var pendingChild: CompactEncoder?

    func closePending(_ sink: JSONSink) {
        if let child = pendingChild {
            pendingChild = nil
            child.finish()
        }
    }

    func close(_ sink: JSONSink) {
        closePending(sink)
        switch kind {
        case .object: sink.append(UInt8(ascii: "}"))
        case .array: sink.append(UInt8(ascii: "]"))
        case .single: break
        case .none: sink.appendRaw("{}")
        }
        kind = .single  // closed: never written twice
    }
}

final class CompactEncoder: Encoder {
    let sink: JSONSink
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    let frame = JSONFrame()

    init(sink: JSONSink, codingPath: [any CodingKey]) {
        self.sink = sink
        self.codingPath = codingPath
    }

    func finish() { frame.close(sink) }

    func open(_ kind: JSONFrame.Kind) {
        guard frame.kind == .none else { return }
        frame.kind = kind
        switch kind {
        case .object: sink.append(UInt8(ascii: "{"))
        case .array: sink.append(UInt8(ascii: "["))
        default: break
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        open(.object)
        return KeyedEncodingContainer(CompactKeyedContainer<Key>(encoder: self, frame: frame, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        open(.array)
        return CompactUnkeyedContainer(encoder: self, frame: frame, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        open(.single)
        return CompactSingleValueContainer(encoder: self, codingPath: codingPath)
    }
}

struct CompactKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: CompactEncoder
    let frame: JSONFrame
    let codingPath: [any CodingKey]
    var sink: JSONSink { encoder.sink }

    private func key(_ key: Key) {
        frame.closePending(sink)
        if frame.count > 0 { sink.append(UInt8(ascii: ",")) }
        frame.count += 1
        sink.appendString(key.stringValue)
        sink.append(UInt8(ascii: ":"))
    }

    mutating func encodeNil(forKey key: Key) throws {
        self.key(key)
        sink.appendNull()
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        self.key(key)
        sink.appendBool(value)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        self.key(key)
        sink.appendString(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        self.key(key)
        try sink.appendFloatingPoint(value, codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        self.key(key)
        try sink.appendFloatingPoint(value, codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { integer(value, key) }

    private func integer<I: FixedWidthInteger>(_ value: I, _ key: Key) {
        self.key(key)
        sink.appendInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.key(key)
        try sink.encodeValue(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        self.key(key)
        let child = CompactEncoder(sink: sink, codingPath: codingPath + [key])
        frame.pendingChild = child
        return child.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        let child = CompactEncoder(sink: sink, codingPath: codingPath + [key])
        frame.pendingChild = child
        return child.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.key(key)
        let child = CompactEncoder(sink: sink, codingPath: codingPath + [key])
        frame.pendingChild = child
        return child
    }
}

/// An array index as a coding key, for error paths.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct CompactUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: CompactEncoder
    let frame: JSONFrame
    let codingPath: [any CodingKey]
    var sink: JSONSink { encoder.sink }
    var count: Int { frame.count }

    private func separator() {
        frame.closePending(sink)
        if frame.count > 0 { sink.append(UInt8(ascii: ",")) }
        frame.count += 1
    }

    mutating func encodeNil() throws {
        separator()
        sink.appendNull()
    }
    mutating func encode(_ value: Bool) throws {
        separator()
        sink.appendBool(value)
    }
    mutating func encode(_ value: String) throws {
        separator()
        sink.appendString(value)
    }
    mutating func encode(_ value: Double) throws {
        separator()
        try sink.appendFloatingPoint(value, codingPath: codingPath + [IndexKey(frame.count - 1)])
    }
    mutating func encode(_ value: Float) throws {
        separator()
        try sink.appendFloatingPoint(value, codingPath: codingPath + [IndexKey(frame.count - 1)])
    }
    mutating func encode(_ value: Int) throws { integer(value) }
    mutating func encode(_ value: Int8) throws { integer(value) }
    mutating func encode(_ value: Int16) throws { integer(value) }
    mutating func encode(_ value: Int32) throws { integer(value) }
    mutating func encode(_ value: Int64) throws { integer(value) }
    mutating func encode(_ value: UInt) throws { integer(value) }
    mutating func encode(_ value: UInt8) throws { integer(value) }
    mutating func encode(_ value: UInt16) throws { integer(value) }
    mutating func encode(_ value: UInt32) throws { integer(value) }
    mutating func encode(_ value: UInt64) throws { integer(value) }

    private func integer<I: FixedWidthInteger>(_ value: I) {
        separator()
        sink.appendInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        separator()
        try sink.encodeValue(value, codingPath: codingPath + [IndexKey(frame.count - 1)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        separator()
        let child = CompactEncoder(sink: sink, codingPath: codingPath + [IndexKey(frame.count - 1)])
        frame.pendingChild = child
        return child.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        separator()
        let child = CompactEncoder(sink: sink, codingPath: codingPath + [IndexKey(frame.count - 1)])
        frame.pendingChild = child
        return child.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        separator()
        let child = CompactEncoder(sink: sink, codingPath: codingPath + [IndexKey(frame.count - 1)])
        frame.pendingChild = child
        return child
    }
}

struct CompactSingleValueContainer: SingleValueEncodingContainer {
    let encoder: CompactEncoder
    let codingPath: [any CodingKey]
    var sink: JSONSink { encoder.sink }

    mutating func encodeNil() throws { sink.appendNull() }
    mutating func encode(_ value: Bool) throws { sink.appendBool(value) }
    mutating func encode(_ value: String) throws { sink.appendString(value) }
    mutating func encode(_ value: Double) throws { try sink.appendFloatingPoint(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { try sink.appendFloatingPoint(value, codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { sink.appendInteger(value) }
    mutating func encode(_ value: Int8) throws { sink.appendInteger(value) }
    mutating func encode(_ value: Int16) throws { sink.appendInteger(value) }
    mutating func encode(_ value: Int32) throws { sink.appendInteger(value) }
    mutating func encode(_ value: Int64) throws { sink.appendInteger(value) }
    mutating func encode(_ value: UInt) throws { sink.appendInteger(value) }
    mutating func encode(_ value: UInt8) throws { sink.appendInteger(value) }
    mutating func encode(_ value: UInt16) throws { sink.appendInteger(value) }
    mutating func encode(_ value: UInt32) throws { sink.appendInteger(value) }
    mutating func encode(_ value: UInt64) throws { sink.appendInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try sink.encodeValue(value, codingPath: codingPath) }
}
