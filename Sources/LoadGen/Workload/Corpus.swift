public import Foundation

/// One prompt of a corpus: a line `{"id", "prompt" or "messages", "max_tokens", "class"}`.
public struct CorpusEntry: Sendable, Codable, Equatable {
    /// A chat message.
    public struct Message: Sendable, Codable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public var id: String
    public var prompt: String?
    public var messages: [Message]?
    public var maxTokens: Int?
    /// Length class (`short`, `medium`, `long`, or anything a custom corpus uses).
    public var `class`: String?
    /// Prompt length in tokens of the tokenizer that made the corpus, when known.
    public var promptTokens: Int?
    /// The user turns after the first, in order: what a multi-turn session sends next (a
    /// ShareGPT conversation's later human turns).
    public var turns: [String]?
    /// The session a trace's request belongs to: it carries that session's history.
    public var session: String?

    public init(
        id: String, prompt: String? = nil, messages: [Message]? = nil, maxTokens: Int? = nil, class: String? = nil,
        promptTokens: Int? = nil, turns: [String]? = nil, session: String? = nil
    ) {
        self.id = id
        self.prompt = prompt
        self.messages = messages
        self.maxTokens = maxTokens
        self.class = `class`
        self.promptTokens = promptTokens
        self.turns = turns
        self.session = session
    }

    enum CodingKeys: String, CodingKey {
        case id, prompt, messages
        case maxTokens = "max_tokens"
        case `class`
        case promptTokens = "prompt_tokens"
        case turns, session
    }

    /// The chat messages (a prompt becomes one user message).
    public var chatMessages: [Message] { messages ?? [Message(role: "user", content: prompt ?? "")] }

    /// The prompt text (messages are joined by newlines for text APIs).
    public var promptText: String { prompt ?? (messages ?? []).map(\.content).joined(separator: "\n") }
}

/// A list of prompts, cycled through in order by the load generator.
public struct Corpus: Sendable, Equatable {
    public var entries: [CorpusEntry]

    public init(entries: [CorpusEntry]) { self.entries = entries }

    /// Loads a JSONL file; a bad line fails with its line number and what is wrong.
    public static func load(path: String) throws(LoadGenError) -> Corpus {
        try parse(jsonl: try read(path, "corpus"), name: path)
    }

    /// The bytes of a workload file (a corpus, dataset or trace); the error names it as `what`.
    static func read(_ path: String, _ what: String) throws(LoadGenError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadGenError(.corpus, "cannot read the \(what) \(path)", cause: error)
        }
    }

    /// Parses JSONL text. Blank lines are skipped; an empty corpus is an error.
    public static func parse(jsonl data: Data, name: String = "corpus") throws(LoadGenError) -> Corpus {
        var entries: [CorpusEntry] = []
        var ids = Set<String>()
        let decoder = JSONDecoder()
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let entry: CorpusEntry
            do {
                entry = try decoder.decode(CorpusEntry.self, from: Data(line))
            } catch {
                throw LoadGenError(
                    .corpus, "\(name) line \(number): not a valid corpus entry (\(describe(error)))")
            }
            func bad(_ why: String) -> LoadGenError { LoadGenError(.corpus, "\(name) line \(number): \(why)") }
            guard !entry.id.isEmpty else { throw bad("\"id\" is empty") }
            guard ids.insert(entry.id).inserted else { throw bad("duplicate id \"\(entry.id)\"") }
            switch (entry.prompt, entry.messages) {
            case (nil, nil): throw bad("needs \"prompt\" (a string) or \"messages\" (a list)")
            case (_?, _?): throw bad("has both \"prompt\" and \"messages\"; keep one")
            case (let p?, nil) where p.isEmpty: throw bad("\"prompt\" is empty")
            case (nil, let m?) where m.isEmpty: throw bad("\"messages\" is empty")
            default: break
            }
            if let maxTokens = entry.maxTokens, maxTokens < 1 {
                throw bad("\"max_tokens\" must be >= 1 (got \(maxTokens))")
            }
            entries.append(entry)
        }
        guard !entries.isEmpty else {
            throw LoadGenError(
                .corpus, "\(name) has no prompts; give a JSONL file with one {\"id\", \"prompt\"} per line")
        }
        return Corpus(entries: entries)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type for \"\(path)\""
        case DecodingError.dataCorrupted: return "invalid JSON"
        default: return "\(error)"
        }
    }

    /// The JSONL text of the corpus, keys sorted: the same bytes for the same entries.
    public func jsonl() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for entry in entries {
            out.append(try encoder.encode(entry))
            out.append(0x0A)
        }
        return out
    }
}
