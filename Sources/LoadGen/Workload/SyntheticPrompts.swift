import InferLabCore

/// Counts the tokens of a text with the target model's tokenizer: the server's `/tokenize`
/// (``RemoteTokenCounter``) or a local GGUF's, which the CLI passes in (`--tokenizer`).
public typealias TokenCounter = @Sendable (String) async throws -> Int

/// Builds prompts of an exact token count from a seeded stream of words, measured with the
/// model's tokenizer: same seed, same tokenizer, same bytes.
///
/// Each prompt has its own word stream (seeded by the prompt's seed), so two prompts share no
/// more than a word or two of prefix and a prefix cache gains nothing from them by accident.
/// The count is of the prompt text alone; the chat template adds its own tokens around it.
public struct SyntheticPrompts: Sendable {
    public let countTokens: TokenCounter

    public init(countTokens: @escaping TokenCounter) { self.countTokens = countTokens }

    /// A text of `tokens` tokens (or the nearest count below it the words allow, within a few
    /// tokens) and its measured count.
    public func prompt(tokens target: Int, seed: UInt64, lead: String = "") async throws -> (text: String, tokens: Int)
    {
        precondition(target >= 1)
        var rng = SeededGenerator(seed: seed)
        let vocabulary = PromptWords.adjectives + PromptWords.nouns + PromptWords.verbs + PromptWords.connectors
        var words: [String] = []
        func grow(to count: Int) {
            while words.count < count { words.append(vocabulary[rng.nextInt(below: vocabulary.count)]) }
        }
        func text(_ k: Int) -> String {
            let body = words.prefix(k).joined(separator: " ")
            return lead.isEmpty ? body : (k == 0 ? lead : lead + " " + body)
        }
        // The largest k with count(text(k)) <= target, by doubling then bisection.
        var high = max(4, target)
        grow(to: high)
        while try await countTokens(text(high)) <= target {
            high *= 2
            grow(to: high)
        }
        var low = 0
        var lowCount = lead.isEmpty ? 0 : try await countTokens(lead)
        while high - low > 1 {
            let middle = (low + high) / 2
            let count = try await countTokens(text(middle))
            if count <= target {
                low = middle
                lowCount = count
            } else {
                high = middle
            }
        }
        var best = text(low)
        // A word of several tokens may leave a gap: fill it with one-token words.
        for filler in [" a", " a", " a", "."] where lowCount < target {
            let candidate = best + filler
            let count = try await countTokens(candidate)
            if count <= target {
                best = candidate
                lowCount = count
            }
        }
        return (best, lowCount)
    }
}
