import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "(not built yet)", shouldDisplay: false)
}
