import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "(not built yet)", shouldDisplay: false)
}
