/// Byte-level scanning of the kernel's ASCII text files, used by the parsers on the sampling
/// path. Ranges are half-open `start..<end` indices into an `UnsafeBufferPointer<UInt8>`.
enum ByteText {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// Runs `body` over the UTF-8 bytes of `text` (contiguous for native strings: no copy).
    static func withBytes<R>(_ text: String, _ body: (Bytes) throws -> R) rethrows -> R {
        var text = text
        return try text.withUTF8(body)
    }

    /// Calls `body(bytes, start, end)` for each non-empty line (without its "\n").
    static func forEachLine(_ text: String, _ body: (Bytes, Int, Int) -> Void) {
        withBytes(text) { forEachLine(bytes: $0, body) }
    }

    /// Calls `body(bytes, start, end)` for each non-empty line of `bytes` (without its "\n").
    static func forEachLine(bytes: Bytes, _ body: (Bytes, Int, Int) -> Void) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end > start { body(bytes, start, end) }
            start = end + 1
        }
    }

    /// Calls `body(start, end)` for each token of `start..<end` separated by spaces, tabs or newlines;
    /// `body` returns `false` to stop.
    static func forEachToken(_ bytes: Bytes, _ start: Int, _ end: Int, _ body: (Int, Int) -> Bool) {
        var index = start
        while index < end {
            index = skipSpaces(bytes, index, end)
            guard index < end else { return }
            var tokenEnd = index
            while tokenEnd < end, !isSpace(bytes[tokenEnd]) { tokenEnd += 1 }
            if !body(index, tokenEnd) { return }
            index = tokenEnd
        }
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// The first index at or after `start` that is not a space (or `end`).
    static func skipSpaces(_ bytes: Bytes, _ start: Int, _ end: Int) -> Int {
        var index = start
        while index < end, isSpace(bytes[index]) { index += 1 }
        return index
    }

    /// `start..<end` without leading and trailing spaces.
    static func trim(_ bytes: Bytes, _ start: Int, _ end: Int) -> (Int, Int) {
        let first = skipSpaces(bytes, start, end)
        var last = end
        while last > first, isSpace(bytes[last - 1]) { last -= 1 }
        return (first, last)
    }

    /// Whether `start..<end` holds exactly `word`.
    static func equal(_ bytes: Bytes, _ start: Int, _ end: Int, _ word: [UInt8]) -> Bool {
        guard end - start == word.count else { return false }
        var index = 0
        while index < word.count {
            if bytes[start + index] != word[index] { return false }
            index += 1
        }
        return true
    }

    /// Whether `start..<end` holds exactly `word` (compared on its UTF-8 view: no array per word).
    static func equal(_ bytes: Bytes, _ start: Int, _ end: Int, _ word: String) -> Bool {
        guard end - start == word.utf8.count else { return false }
        var index = start
        for byte in word.utf8 {
            if bytes[index] != byte { return false }
            index += 1
        }
        return true
    }

    /// The decimal number in `start..<end` (digits only, no overflow), or `nil`.
    static func unsigned(_ bytes: Bytes, _ start: Int, _ end: Int) -> UInt64? {
        guard end > start else { return nil }
        var value: UInt64 = 0
        for index in start..<end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// A signed decimal number in `start..<end`, or `nil`.
    static func signed(_ bytes: Bytes, _ start: Int, _ end: Int) -> Int64? {
        guard end > start else { return nil }
        if bytes[start] == UInt8(ascii: "-") {
            guard let magnitude = unsigned(bytes, start + 1, end), magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard let magnitude = unsigned(bytes, start, end), magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A floating-point number in `start..<end` ("0.25"), or `nil`.
    static func double(_ bytes: Bytes, _ start: Int, _ end: Int) -> Double? {
        guard end > start else { return nil }
        return Double(string(bytes, start, end))
    }

    /// `start..<end` as a `String` (short ones are stored inline, without allocating).
    static func string(_ bytes: Bytes, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
