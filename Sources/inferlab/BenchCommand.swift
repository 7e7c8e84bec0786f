import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not built yet)", shouldDisplay: false)
}
