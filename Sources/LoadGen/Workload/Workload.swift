import InferLabCore

/// The requests a bench sends, built once before the first window from the configuration:
/// the corpus, a dataset or synthetic prompts, with output lengths, shared prefixes and a
/// trace's arrival times applied. Same configuration and tokenizer: same entries, byte for byte.
public struct Workload: Sendable, Equatable {
    /// The prompts, cycled in order (one per arrival for a trace).
    public var entries: [CorpusEntry]
    /// A trace's arrival offsets in seconds (the speed applied), one per entry.
    public var arrivals: [Double]?
    /// Where the prompts came from, e.g. `synthetic input_tokens=lognormal:300,150`.
    public var source: String

    public init(entries: [CorpusEntry], arrivals: [Double]? = nil, source: String) {
        self.entries = entries
        self.arrivals = arrivals
        self.source = source
    }
}

/// Builds the ``Workload`` of a configuration.
public struct WorkloadBuilder: Sendable {
    public var configuration: BenchConfiguration
    /// A corpus given in code (tests, experiments); it stands for `corpus`.
    public var corpus: Corpus?
    /// The model's tokenizer; needed by synthetic prompts, shared prefixes, traces and a
    /// dataset's reply lengths.
    public var countTokens: TokenCounter?

    public init(_ configuration: BenchConfiguration, corpus: Corpus? = nil, countTokens: TokenCounter? = nil) {
        self.configuration = configuration
        self.corpus = corpus
        self.countTokens = countTokens
    }

    /// The most distinct prompts a workload makes unless `prompts` says.
    public static let defaultPromptLimit = 1000

    /// How many distinct prompts to make: `prompts`, else one per measured request (every step
    /// of a sweep), at most ``defaultPromptLimit``; 256 when windows are bounded by time.
    public var promptCount: Int {
        let c = configuration
        if let n = c.promptCount { return n }
        guard let requests = c.effectiveRequests else { return 256 }
        let windows = c.scenario == .sweep ? max(1, c.sweep.count) : (c.scenario == .maxRate ? c.maxRateSteps : 1)
        return max(1, min(Self.defaultPromptLimit, requests * windows))
    }

    /// The seed of item `index` of stream `salt`: distinct, fixed by `prompt_seed`.
    static func seed(_ base: UInt64, _ salt: UInt64, _ index: Int) -> UInt64 {
        var mix = SeededGenerator(seed: base ^ (salt &* 0xD6E8_FEB8_6659_FD93) ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        return mix.next()
    }

    private func counter(for what: String) throws(LoadGenError) -> TokenCounter {
        guard let countTokens else {
            throw LoadGenError(
                .configuration,
                "\(what) needs the model's tokenizer: the server's /tokenize did not answer; pass --tokenizer MODEL.gguf"
            )
        }
        return countTokens
    }

    private func tokenizing<T>(_ body: () async throws -> T) async throws(LoadGenError) -> T {
        do {
            return try await body()
        } catch let error as LoadGenError {
            throw error
        } catch {
            throw LoadGenError(.io, "counting tokens failed", cause: error)
        }
    }

    public func build() async throws(LoadGenError) -> Workload {
        let c = configuration
        var workload: Workload
        if let path = c.tracePath {
            workload = try await traceWorkload(try RequestTrace.load(path: path), name: path)
        } else if let distribution = c.inputTokens {
            workload = try await synthetic(distribution)
        } else if let path = c.datasetPath {
            workload = try await dataset(try Dataset.load(path: path), name: path)
        } else {
            var corpus: Corpus
            if let given = self.corpus {
                corpus = given
            } else if let path = c.corpusPath {
                corpus = try Corpus.load(path: path)
            } else {
                corpus = BenchRunner.builtInCorpus()
            }
            if c.promptClass != .mixed {
                corpus.entries = corpus.entries.filter { $0.class == c.promptClass.rawValue }
                guard !corpus.entries.isEmpty else {
                    throw LoadGenError(.corpus, "the corpus has no prompts of class \(c.promptClass.rawValue)")
                }
            }
            guard !corpus.entries.isEmpty else { throw LoadGenError(.corpus, "the corpus has no prompts") }
            workload = Workload(
                entries: corpus.entries, source: c.corpusPath.map { "corpus \($0)" } ?? "built-in corpus")
        }
        if let distribution = c.outputTokens {
            for index in workload.entries.indices {
                var rng = SeededGenerator(seed: Self.seed(c.promptSeed, 2, index))
                workload.entries[index].maxTokens = distribution.sample(&rng)
            }
            workload.source += ", output_tokens=\(distribution)"
        }
        if c.sharedPrefixGroups > 0 {
            try await share(&workload)
        }
        return workload
    }

    private func synthetic(_ distribution: TokenLengthDistribution) async throws(LoadGenError) -> Workload {
        let prompts = SyntheticPrompts(countTokens: try counter(for: "--input-tokens"))
        var entries: [CorpusEntry] = []
        let count = promptCount
        let width = String(count).count
        for index in 0..<count {
            var rng = SeededGenerator(seed: Self.seed(configuration.promptSeed, 1, index))
            let target = distribution.sample(&rng)
            let (text, tokens) = try await tokenizing {
                try await prompts.prompt(tokens: target, seed: Self.seed(configuration.promptSeed, 3, index))
            }
            let number = String(index + 1)
            entries.append(
                CorpusEntry(
                    id: "s" + String(repeating: "0", count: width - number.count) + number, prompt: text,
                    class: "synthetic", promptTokens: tokens))
        }
        return Workload(entries: entries, source: "synthetic input_tokens=\(distribution)")
    }

    private func dataset(_ dataset: Dataset, name: String) async throws(LoadGenError) -> Workload {
        let records = Array(dataset.records.prefix(configuration.promptCount ?? dataset.records.count))
        var entries: [CorpusEntry] = []
        let countReplies = configuration.outputTokens == nil && configuration.maxTokens == nil
        for record in records {
            var maxTokens = record.maxTokens
            if maxTokens == nil, countReplies, let reply = record.reply, !reply.isEmpty, let countTokens {
                maxTokens = max(1, try await tokenizing { try await countTokens(reply) })
            }
            var entry = CorpusEntry(id: record.id, maxTokens: maxTokens, class: "dataset")
            if let messages = record.messages {
                entry.messages = messages
            } else if let system = record.system {
                entry.messages = [
                    .init(role: "system", content: system), .init(role: "user", content: record.turns[0]),
                ]
            } else {
                entry.prompt = record.turns[0]
            }
            if record.turns.count > 1 { entry.turns = Array(record.turns.dropFirst()) }
            entries.append(entry)
        }
        return Workload(
            entries: entries, source: "dataset \(name) (\(entries.count) of \(dataset.records.count) prompts)")
    }

    private func traceWorkload(_ trace: RequestTrace, name: String) async throws(LoadGenError) -> Workload {
        let prompts = SyntheticPrompts(countTokens: try counter(for: "--trace"))
        var arrivals = trace.arrivals
        if let limit = configuration.requests { arrivals = Array(arrivals.prefix(limit)) }
        if let promptCount = configuration.promptCount { arrivals = Array(arrivals.prefix(promptCount)) }
        var entries: [CorpusEntry] = []
        let width = String(arrivals.count).count
        for (index, arrival) in arrivals.enumerated() {
            let (text, tokens) = try await tokenizing {
                try await prompts.prompt(
                    tokens: arrival.inputTokens, seed: Self.seed(configuration.promptSeed, 4, index))
            }
            let number = String(index + 1)
            entries.append(
                CorpusEntry(
                    id: "t" + String(repeating: "0", count: width - number.count) + number, prompt: text,
                    maxTokens: arrival.outputTokens, class: "trace", promptTokens: tokens, session: arrival.session))
        }
        let speed = configuration.traceSpeed
        return Workload(
            entries: entries, arrivals: arrivals.map { $0.offset / speed },
            source: "trace \(name) (\(arrivals.count) requests over \(Int(trace.span.rounded())) s, speed \(speed)x)")
    }

    /// Puts each entry in group i mod N, the group's prefix its system message (chat) or the
    /// head of its prompt (text APIs).
    private func share(_ workload: inout Workload) async throws(LoadGenError) {
        let c = configuration
        let prompts = SyntheticPrompts(countTokens: try counter(for: "--shared-prefix-tokens"))
        var prefixes: [String] = []
        for group in 0..<c.sharedPrefixGroups {
            let (text, _) = try await tokenizing {
                try await prompts.prompt(
                    tokens: c.sharedPrefixTokens, seed: Self.seed(c.promptSeed, 5, group),
                    lead: "You are assistant \(group + 1).")
            }
            prefixes.append(text)
        }
        for index in workload.entries.indices {
            let group = index % c.sharedPrefixGroups
            var entry = workload.entries[index]
            var messages = entry.chatMessages.filter { $0.role != "system" }
            messages.insert(CorpusEntry.Message(role: "system", content: prefixes[group]), at: 0)
            entry.messages = messages
            entry.prompt = nil
            entry.id += "@g\(group + 1)"
            workload.entries[index] = entry
        }
        workload.source += ", \(c.sharedPrefixGroups) shared prefixes of \(c.sharedPrefixTokens) tokens"
    }
}
