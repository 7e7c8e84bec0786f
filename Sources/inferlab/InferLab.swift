import ArgumentParser
import InferLabCore

/// The `inferlab` command: thin subcommands, each calling one library function.
@main
struct InferLab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inferlab",
        abstract: "Run, load-test and explain LLM inference on ordinary CPUs.",
        version: InferLabVersion.current,
        subcommands: InferLab.commands
    )
}
