import InferLabCore

/// Makes a deterministic prompt corpus in three length classes, measured in tokens by the
/// closure it is given (the CLI passes the default model's tokenizer, so LoadGen does not
/// depend on the engine).
///
/// Same `count`, `seed` and tokenizer: same entries, byte for byte. The mix is 50 % short
/// (16-64 tokens, 64 output tokens), 35 % medium (128-320, 128) and 15 % long (480-800, 128);
/// long prompts plus output fit a 1,024-token slot.
public struct CorpusGenerator: Sendable {
    /// A length class: its share and prompt-token range.
    public struct LengthClass: Sendable {
        public var name: String
        public var share: Double
        public var tokens: ClosedRange<Int>
        public var maxTokens: Int
    }

    public static let classes: [LengthClass] = [
        LengthClass(name: "short", share: 0.50, tokens: 16...64, maxTokens: 64),
        LengthClass(name: "medium", share: 0.35, tokens: 128...320, maxTokens: 128),
        LengthClass(name: "long", share: 0.15, tokens: 480...800, maxTokens: 128),
    ]

    public var count: Int
    public var seed: UInt64

    public init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
    }

    /// A rough count (words * 4 / 3) for when no tokenizer is at hand.
    public static let approximateTokenCount: @Sendable (String) throws -> Int = { text in
        (text.split(separator: " ").count * 4 + 2) / 3
    }

    /// Generates the corpus. Throws what `countTokens` throws, or a configuration error for `count` < 1.
    public func generate(countTokens: (String) throws -> Int) throws -> Corpus {
        guard count >= 1 else { throw LoadGenError(.configuration, "n: must be at least 1 (got \(count))") }
        var rng = SeededGenerator(seed: seed)
        var entries: [CorpusEntry] = []
        let width = String(count).count
        for index in 0..<count {
            let u = rng.nextUnitOpen()
            var cumulative = 0.0
            var lengthClass = Self.classes[Self.classes.count - 1]
            for c in Self.classes {
                cumulative += c.share
                if u < cumulative {
                    lengthClass = c
                    break
                }
            }
            let span = lengthClass.tokens.upperBound - lengthClass.tokens.lowerBound + 1
            let target = lengthClass.tokens.lowerBound + rng.nextInt(below: span)
            let (prompt, tokens) = try makePrompt(
                target: target, limit: lengthClass.tokens.upperBound, rng: &rng, countTokens: countTokens)
            let number = String(index + 1)
            let id = "p" + String(repeating: "0", count: width - number.count) + number
            entries.append(
                CorpusEntry(
                    id: id, prompt: prompt, maxTokens: lengthClass.maxTokens, class: lengthClass.name,
                    promptTokens: tokens))
        }
        return Corpus(entries: entries)
    }

    private func makePrompt(
        target: Int, limit: Int, rng: inout SeededGenerator, countTokens: (String) throws -> Int
    ) throws -> (String, Int) {
        let task = PromptWords.tasks[rng.nextInt(below: PromptWords.tasks.count)]
        let topic = PromptWords.topics[rng.nextInt(below: PromptWords.topics.count)]
        var text = "\(task) \(topic)."
        var tokens = try countTokens(text)
        if target > tokens {
            text += " Context:"
        }
        while tokens < target {
            let sentence = makeSentence(rng: &rng)
            let candidate = text + " " + sentence
            let candidateTokens = try countTokens(candidate)
            if candidateTokens > limit { break }
            text = candidate
            tokens = candidateTokens
        }
        return (text, tokens)
    }

    private func makeSentence(rng: inout SeededGenerator) -> String {
        let w = PromptWords.self
        func pick(_ list: [String]) -> String { list[rng.nextInt(below: list.count)] }
        let subject = pick(w.adjectives) + " " + pick(w.nouns)
        let object = pick(w.adjectives) + " " + pick(w.nouns)
        var sentence = "The \(subject) \(pick(w.verbs)) the \(object)"
        if rng.nextInt(below: 2) == 0 {
            sentence += " \(pick(w.connectors)) the \(pick(w.nouns)) \(pick(w.verbs)) \(pick(w.places))"
        }
        return sentence + "."
    }
}
