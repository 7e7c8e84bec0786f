import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct CorpusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "corpus", abstract: "(not built yet)", shouldDisplay: false)
}
