import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe", abstract: "(not built yet)", shouldDisplay: false)
}
