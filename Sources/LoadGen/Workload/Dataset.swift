public import Foundation

/// A dataset of prompts users bring: ShareGPT-format JSON (a list of `{"conversations": [{"from",
/// "value"}, ...]}`), or JSONL with one prompt per line (`prompt`, `text`, `messages` or
/// ShareGPT's `conversations`; `id` and `max_tokens` optional). A malformed file fails with the
/// line and the field named.
///
/// A conversation becomes one entry: its first human turn is the prompt, and its later human
/// turns are the `turns` a multi-turn session sends next. The first reply's length in tokens
/// becomes `max_tokens` when the loader is given a tokenizer (as vLLM's bench does).
public struct Dataset: Sendable, Equatable {
    /// One usable record of the file.
    public struct Record: Sendable, Equatable {
        public var id: String
        /// The user turns, first to last (one for a single prompt).
        public var turns: [String]
        /// A system message the record carries.
        public var system: String?
        /// Whole chat messages, when the line gave `messages` (sent as they are).
        public var messages: [CorpusEntry.Message]?
        /// The first reply of the conversation, when the file has one.
        public var reply: String?
        public var maxTokens: Int?
        /// The 1-based line of the file the record starts on.
        public var line: Int
    }

    public var records: [Record]
    /// Conversations skipped for having no human turn (ShareGPT files have some).
    public var skipped: Int

    public static func load(path: String) throws(LoadGenError) -> Dataset {
        try parse(try Corpus.read(path, "dataset"), name: path)
    }

    /// Parses a JSON list (ShareGPT) or JSONL, whichever the first character says.
    public static func parse(_ data: Data, name: String = "dataset") throws(LoadGenError) -> Dataset {
        let bytes = [UInt8](data)
        guard let first = bytes.firstIndex(where: { !JSONScan.isSpace($0) }) else {
            throw LoadGenError(.corpus, "\(name) is empty; give ShareGPT JSON or JSONL with one prompt per line")
        }
        if bytes[first] == UInt8(ascii: "[") { return try parseList(bytes, name: name) }
        return try parseLines(bytes, name: name)
    }

    private static func parseList(_ bytes: [UInt8], name: String) throws(LoadGenError) -> Dataset {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            let line = JSONScan.errorLine(bytes, reason: JSONScan.reason(error))
            throw LoadGenError(
                .corpus, "\(name) line \(line): not valid JSON (\(JSONScan.reason(error)))")
        }
        guard let list = object as? [Any] else {
            throw LoadGenError(.corpus, "\(name) line 1: expected a JSON list of conversations")
        }
        let lines = JSONScan.elementLines(bytes)
        var records: [Record] = []
        var skipped = 0
        for (index, element) in list.enumerated() {
            let line = index < lines.count ? lines[index] : 1
            let where_ = "\(name) line \(line) (conversation \(index + 1))"
            if let record = try record(element, line: line, where: where_, fallbackId: "c\(index + 1)") {
                records.append(record)
            } else {
                skipped += 1
            }
        }
        return try finished(records, skipped: skipped, name: name)
    }

    private static func parseLines(_ bytes: [UInt8], name: String) throws(LoadGenError) -> Dataset {
        var records: [Record] = []
        var skipped = 0
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { !JSONScan.isSpace($0) }) else { continue }
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(line), options: [])
            } catch {
                throw LoadGenError(.corpus, "\(name) line \(lineNumber): not valid JSON (\(JSONScan.reason(error)))")
            }
            let where_ = "\(name) line \(lineNumber)"
            if let record = try record(object, line: lineNumber, where: where_, fallbackId: "l\(lineNumber)") {
                records.append(record)
            } else {
                skipped += 1
            }
        }
        return try finished(records, skipped: skipped, name: name)
    }

    private static func finished(_ records: [Record], skipped: Int, name: String) throws(LoadGenError) -> Dataset {
        guard !records.isEmpty else {
            throw LoadGenError(
                .corpus,
                "\(name) has no usable prompt\(skipped > 0 ? " (\(skipped) conversation(s) without a human turn)" : "")"
            )
        }
        var seen = Set<String>()
        for record in records where !seen.insert(record.id).inserted {
            throw LoadGenError(.corpus, "\(name) line \(record.line): duplicate id \"\(record.id)\"")
        }
        return Dataset(records: records, skipped: skipped)
    }

    /// One element: a record, nil for a conversation without a human turn, or an error naming the field.
    private static func record(_ element: Any, line: Int, where place: String, fallbackId: String)
        throws(LoadGenError) -> Record?
    {
        func bad(_ why: String) -> LoadGenError { LoadGenError(.corpus, "\(place): \(why)") }
        guard let object = element as? [String: Any] else { throw bad("expected a JSON object") }
        var id = fallbackId
        if let value = object["id"] {
            if let text = value as? String {
                id = text
            } else if let number = JSONScan.whole(value, minimum: Int.min / 2) {
                id = String(number)
            } else {
                throw bad("\"id\" must be a string or a number")
            }
            guard !id.isEmpty else { throw bad("\"id\" is empty") }
        }
        var maxTokens: Int?
        if let value = object["max_tokens"] ?? object["output_tokens"] {
            guard let number = JSONScan.whole(value) else { throw bad("\"max_tokens\" must be a whole number >= 1") }
            maxTokens = number
        }
        let kinds = ["prompt", "text", "messages", "conversations", "conversation"].filter { object[$0] != nil }
        guard kinds.count == 1 else {
            throw bad(
                kinds.isEmpty
                    ? "needs \"prompt\", \"text\", \"messages\" or \"conversations\""
                    : "has both \"\(kinds[0])\" and \"\(kinds[1])\"; keep one")
        }
        let kind = kinds[0]
        switch kind {
        case "prompt", "text":
            guard let text = object[kind] as? String else { throw bad("\"\(kind)\" must be a string") }
            guard !text.isEmpty else { throw bad("\"\(kind)\" is empty") }
            return Record(id: id, turns: [text], maxTokens: maxTokens, line: line)
        case "messages":
            guard let list = object[kind] as? [Any], !list.isEmpty else {
                throw bad("\"messages\" must be a non-empty list")
            }
            var messages: [CorpusEntry.Message] = []
            for (index, item) in list.enumerated() {
                guard let message = item as? [String: Any] else { throw bad("messages[\(index)] is not an object") }
                guard let role = message["role"] as? String else {
                    throw bad("messages[\(index)].role must be a string")
                }
                guard let content = message["content"] as? String else {
                    throw bad("messages[\(index)].content must be a string")
                }
                messages.append(CorpusEntry.Message(role: role, content: content))
            }
            let users = messages.filter { $0.role == "user" }.map(\.content)
            guard !users.isEmpty else { throw bad("\"messages\" has no message with role \"user\"") }
            return Record(id: id, turns: users, messages: messages, maxTokens: maxTokens, line: line)
        default:
            guard let list = object[kind] as? [Any] else { throw bad("\"\(kind)\" must be a list") }
            var humans: [String] = []
            var system: String?
            var reply: String?
            for (index, item) in list.enumerated() {
                guard let turn = item as? [String: Any] else { throw bad("\(kind)[\(index)] is not an object") }
                guard let from = (turn["from"] ?? turn["role"]) as? String else {
                    throw bad("\(kind)[\(index)].from must be a string")
                }
                guard let value = (turn["value"] ?? turn["content"]) as? String else {
                    throw bad("\(kind)[\(index)].value must be a string")
                }
                switch from.lowercased() {
                case "human", "user": humans.append(value)
                case "gpt", "assistant", "chatgpt", "bard", "bing", "model":
                    if reply == nil && !humans.isEmpty { reply = value }
                case "system": system = system ?? value
                default: throw bad("\(kind)[\(index)].from is '\(from)'; expected human, gpt or system")
                }
            }
            humans.removeAll { $0.isEmpty }
            guard !humans.isEmpty else { return nil }
            return Record(id: id, turns: humans, system: system, reply: reply, maxTokens: maxTokens, line: line)
        }
    }
}

/// Byte-level helpers for naming lines in JSON files.
enum JSONScan {
    /// A JSON number's value; nil for anything else, booleans included (on Linux a JSON `1`
    /// bridges to `Bool` too, so the type is read from the number itself).
    static func number(_ value: Any) -> Double? {
        if type(of: value) == Bool.self { return nil }
        guard let n = value as? NSNumber else { return nil }
        let kind = String(cString: n.objCType)
        guard kind != "c", kind != "B" else { return nil }
        return n.doubleValue.isFinite ? n.doubleValue : nil
    }

    /// A whole JSON number >= `minimum`.
    static func whole(_ value: Any, minimum: Int = 1) -> Int? {
        guard let v = number(value), v == v.rounded(), v >= Double(minimum), v < 1e15 else { return nil }
        return Int(v)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// The 1-based line on which each top-level element of a JSON list starts.
    static func elementLines(_ bytes: [UInt8]) -> [Int] {
        var lines: [Int] = []
        var line = 1
        var depth = 0
        var string = StringScan()
        var expectElement = false
        for b in bytes {
            if b == 0x0A { line += 1 }
            if string.inside {
                string.consume(b)
                continue
            }
            if expectElement, !isSpace(b), b != UInt8(ascii: "]") {
                lines.append(line)
                expectElement = false
            }
            switch b {
            case UInt8(ascii: "\""): string.inside = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 1 && b == UInt8(ascii: "[") { expectElement = true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectElement = true }
            default: break
            }
        }
        return lines
    }

    /// The line of a JSON syntax error: Foundation's message names the character offset
    /// ("around character 45") or the line; else the first place a scan stops making sense.
    static func errorLine(_ bytes: [UInt8], reason: String) -> Int {
        for marker in ["around line ", "line "] {
            if let range = reason.range(of: marker) {
                let digits = reason[range.upperBound...].prefix { $0.isNumber }
                if let line = Int(digits) { return line }
            }
        }
        if let range = reason.range(of: "character ") {
            let digits = reason[range.upperBound...].prefix { $0.isNumber }
            if let offset = Int(digits) {
                return 1 + bytes.prefix(min(offset, bytes.count)).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
        }
        return scannedErrorLine(bytes)
    }

    private static func scannedErrorLine(_ bytes: [UInt8]) -> Int {
        // Foundation does not say where; find the first place a strict scan stops making sense:
        // an unbalanced close or the end inside a string or a container.
        var line = 1
        var depth = 0
        var string = StringScan()
        var lastOpenLine = 1
        for b in bytes {
            if b == 0x0A {
                if string.inside { return line }
                line += 1
            }
            if string.inside {
                string.consume(b)
                continue
            }
            switch b {
            case UInt8(ascii: "\""): string.inside = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                lastOpenLine = line
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth < 0 { return line }
            default: break
            }
        }
        return depth > 0 ? lastOpenLine : line
    }

    static func reason(_ error: any Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return text.count > 160 ? String(text.prefix(160)) + "..." : text
    }
}

/// Where a byte scan of JSON stands inside a string: escapes skip the next byte, a bare quote ends it.
struct StringScan {
    var inside = false
    private var escaped = false

    /// Takes one byte of the string's body.
    mutating func consume(_ b: UInt8) {
        if escaped {
            escaped = false
        } else if b == UInt8(ascii: "\\") {
            escaped = true
        } else if b == UInt8(ascii: "\"") {
            inside = false
        }
    }
}
