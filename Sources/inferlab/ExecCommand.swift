import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "(not built yet)", shouldDisplay: false)
}
