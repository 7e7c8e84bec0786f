import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "(not built yet)", shouldDisplay: false)
}
