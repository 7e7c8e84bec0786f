/// Helpers shared by the parsers: the kernel's text files are lists of keys and values, and
/// keys are always read by name, because new keys appear in the middle of files over time.
///
/// The scanners work on the UTF-8 bytes (no `Character` splitting, no per-line `String`s), and
/// when given the wanted `keys` they allocate only for those: a 100 Hz sampler parses ~30 files
/// per sample, so `/proc/vmstat`'s 190 lines must not cost 190 dictionary entries.
enum KeyedText {
    /// "key value" lines (vmstat, cgroup cpu.stat, memory.stat, memory.events). Lines whose
    /// value is not an unsigned integer are skipped. With `keys`, only those keys are returned.
    static func spaceSeparated(_ text: String, keys: [String]? = nil) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        ByteText.forEachLine(text) { bytes, start, end in
            let keyStart = ByteText.skipSpaces(bytes, start, end)
            var keyEnd = keyStart
            while keyEnd < end, bytes[keyEnd] != UInt8(ascii: " ") { keyEnd += 1 }
            guard keyEnd > keyStart, keyEnd < end else { return }
            if let keys, !keys.contains(where: { ByteText.equal(bytes, keyStart, keyEnd, $0) }) { return }
            let (valueStart, valueEnd) = ByteText.trim(bytes, keyEnd, end)
            guard let value = ByteText.unsigned(bytes, valueStart, valueEnd) else { return }
            result[ByteText.string(bytes, keyStart, keyEnd)] = value
        }
        return result
    }

    /// The sum of the values of every "key value" line whose key starts with `prefix`, or `nil`
    /// when there is none (vmstat's per-zone `allocstall_*`).
    static func sum(_ text: String, prefix: String) -> UInt64? {
        let wanted = Array(prefix.utf8)
        var total: UInt64?
        ByteText.forEachLine(text) { bytes, start, end in
            guard end - start > wanted.count, ByteText.equal(bytes, start, start + wanted.count, wanted) else { return }
            var keyEnd = start
            while keyEnd < end, bytes[keyEnd] != UInt8(ascii: " ") { keyEnd += 1 }
            let (valueStart, valueEnd) = ByteText.trim(bytes, keyEnd, end)
            guard let value = ByteText.unsigned(bytes, valueStart, valueEnd) else { return }
            total = (total ?? 0) &+ value
        }
        return total
    }

    /// "Key:\tvalue [kB]" lines (/proc/<pid>/status, /proc/<pid>/io). Values keep their text.
    /// With `keys`, only those keys are returned.
    static func colonSeparated(_ text: String, keys: [String]? = nil) -> [String: String] {
        var result: [String: String] = [:]
        ByteText.forEachLine(text) { bytes, start, end in
            var colon = start
            while colon < end, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            guard colon < end else { return }
            if let keys, !keys.contains(where: { ByteText.equal(bytes, start, colon, $0) }) { return }
            let (valueStart, valueEnd) = ByteText.trim(bytes, colon + 1, end)
            result[ByteText.string(bytes, start, colon)] = ByteText.string(bytes, valueStart, valueEnd)
        }
        return result
    }

    /// "key=value key=value" tokens (PSI lines, io.stat lines).
    static func equalsSeparated<S: StringProtocol>(_ tokens: [S]) -> [String: String] {
        var result: [String: String] = [:]
        for token in tokens {
            guard let equals = token.firstIndex(of: "=") else { continue }
            result[String(token[..<equals])] = String(token[token.index(after: equals)...])
        }
        return result
    }

    /// A byte count written as "1234 kB" (status) or "1234".
    static func bytes(_ text: String?) -> UInt64? {
        guard let text else { return nil }
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = parts.first, let number = UInt64(first) else { return nil }
        if parts.count > 1, parts[1].lowercased() == "kb" { return number * 1024 }
        return number
    }

    /// A single number file ("123\n"); "max" reads as `nil` through `limit`.
    static func number(_ text: String?) -> UInt64? {
        guard let text else { return nil }
        return ByteText.withBytes(text) { bytes in
            let (start, end) = ByteText.trim(bytes, 0, bytes.count)
            return ByteText.unsigned(bytes, start, end)
        }
    }

    /// A limit file: "max" (v2) or a value at or above 2^62 (v1's unlimited) is `nil`.
    static func limit(_ text: String?) -> UInt64?? {
        guard let text else { return .none }
        let trimmed = text.trimmingSpaces()
        if trimmed == "max" { return .some(nil) }
        guard let value = UInt64(trimmed) else { return .none }
        if value >= (1 << 62) { return .some(nil) }
        return .some(value)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines.
    func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return Substring() }
        let end = lastIndex(where: { !isSpace($0) })!
        return Substring(self[start...end])
    }
}
