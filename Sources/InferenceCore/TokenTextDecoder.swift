/// Turns token pieces into text without ever splitting a UTF-8 character.
///
/// A token may end in the middle of a multi-byte character (byte-fallback tokenizers emit single
/// bytes for emoji and CJK). The decoder keeps an incomplete tail until the next piece completes
/// it, so every string it returns is valid UTF-8 and concatenating them gives the full text.
public struct TokenTextDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Appends one token's bytes; returns the text that is now complete (possibly empty).
    public mutating func append(_ bytes: some Collection<UInt8>) -> String {
        pending.append(contentsOf: bytes)
        let complete = completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is left at the end of generation (invalid bytes become U+FFFD).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a multi-byte character.
    private func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count
        // Walk back over at most 3 continuation bytes to the lead byte of the last character.
        var back = 0
        while back < 4, index - back - 1 >= 0 {
            let byte = bytes[index - back - 1]
            if byte & 0b1100_0000 == 0b1000_0000 {
                back += 1
                continue
            }
            let needed: Int
            if byte & 0b1000_0000 == 0 {
                needed = 1
            } else if byte & 0b1110_0000 == 0b1100_0000 {
                needed = 2
            } else if byte & 0b1111_0000 == 0b1110_0000 {
                needed = 3
            } else if byte & 0b1111_1000 == 0b1111_0000 {
                needed = 4
            } else {
                needed = 1  // invalid lead byte: let String(decoding:) replace it
            }
            if back + 1 < needed { index -= back + 1 }
            return index
        }
        return index
    }
}
