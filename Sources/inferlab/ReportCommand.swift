import ArgumentParser

// Placeholder until the capability lands; replaced by its own implementation.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "(not built yet)", shouldDisplay: false)
}
