import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system", abstract: "(not built yet)", shouldDisplay: false)
}
