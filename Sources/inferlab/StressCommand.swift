import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct StressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stress", abstract: "(not built yet)", shouldDisplay: false)
}
