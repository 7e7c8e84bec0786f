/// Writes one flat JSON object field by field into a byte buffer, leaving absent values out:
/// the hand-written counterpart of a `Codable` `encode(to:)` made of `encodeIfPresent` calls, for
/// a type written at 100 Hz (the probe's samples), where a pass through `Encoder` containers
/// costs more than the fields. Keys, strings and numbers are spelled as `CompactJSONEncoder`
/// spells them (both use `JSONBytes`), so the two give the same bytes for the same fields.
///
/// ```swift
/// var writer = JSONObjectWriter(appendingTo: &line)
/// writer.field("pid", pid)
/// try writer.field("cpu_cores", cpuCores)
/// writer.finish(into: &line)
/// ```
public struct JSONObjectWriter {
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var count = 0

    /// Starts an object at the end of `buffer` (which is moved into the writer until `finish`).
    @inlinable public init(appendingTo buffer: inout [UInt8]) {
        bytes = buffer
        buffer = []
        bytes.append(UInt8(ascii: "{"))
    }

    @inlinable mutating func key(_ key: String) {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
        JSONBytes.appendString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    @inlinable public mutating func field<I: FixedWidthInteger>(_ key: String, _ value: I?) {
        guard let value else { return }
        self.key(key)
        JSONBytes.appendInteger(value, to: &bytes)
    }

    /// A non-finite value throws `EncodingError.invalidValue`, as the encoders do.
    @inlinable public mutating func field(_ key: String, _ value: Double?) throws {
        guard let value else { return }
        self.key(key)
        try JSONBytes.appendFloatingPoint(value, codingPath: [], to: &bytes)
    }

    @inlinable public mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        self.key(key)
        JSONBytes.appendString(value, to: &bytes)
    }

    /// Any other value, through `CompactJSONEncoder`.
    @inlinable public mutating func field<T: Encodable>(_ key: String, encoding value: T?) throws {
        guard let value else { return }
        self.key(key)
        try CompactJSONEncoder().encode(value, appendingTo: &bytes)
    }

    /// Closes the object and moves the bytes back into `buffer`.
    @inlinable public mutating func finish(into buffer: inout [UInt8]) {
        bytes.append(UInt8(ascii: "}"))
        buffer = bytes
        bytes = []
    }
}
