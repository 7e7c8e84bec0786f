import ArgumentParser
import Foundation
import InferenceCore
import LlamaEngine
import LoadGen

/// `inferlab corpus make`: the frozen prompt corpus, token-counted with a model's tokenizer.
struct CorpusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus", abstract: "Make a deterministic prompt corpus (JSONL).", subcommands: [Make.self])

    struct Make: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write N prompts in short / medium / long classes; same flags, same bytes.")

        @Option(help: "Number of prompts.") var n = 500
        @Option(help: "Seed of the generator.") var seed: UInt64 = 42
        @Option(help: "Output JSONL file.") var out = "data/prompts.jsonl"
        @Option(help: "Model whose tokenizer measures prompt lengths.") var model = ModelCatalog.defaultModel

        func run() async throws {
            try await reportingErrors {
                guard n >= 1 else { throw UsageError("--n must be at least 1 (got \(n))") }
                let llama = try LlamaModel(path: try ModelCatalog.resolve(model))
                let corpus = try CorpusGenerator(count: n, seed: seed).generate { text in
                    try llama.tokenize(text).count
                }
                let data = try corpus.jsonl()
                let url = URL(fileURLWithPath: out)
                do {
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try data.write(to: url, options: .atomic)
                } catch {
                    throw LoadGenError(.io, "cannot write \(out): \(error.localizedDescription)", cause: error)
                }
                let counts = Dictionary(grouping: corpus.entries, by: { $0.class ?? "" }).mapValues(\.count)
                let mix = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                FileHandle.standardError.write(Data("wrote \(corpus.entries.count) prompts to \(out) (\(mix))\n".utf8))
            }
        }
    }
}
