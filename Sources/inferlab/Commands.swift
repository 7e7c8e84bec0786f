import ArgumentParser

extension InferLab {
    /// Every subcommand, in help order. Each lives in its own file.
    static let commands: [any ParsableCommand.Type] = [
        GenerateCommand.self,
        ServeCommand.self,
        BenchCommand.self,
        CorpusCommand.self,
        ProbeCommand.self,
        ExecCommand.self,
        StressCommand.self,
        SystemCommand.self,
        RunCommand.self,
        StudyCommand.self,
        ReportCommand.self,
        CompareCommand.self,
        ExplainCommand.self,
        ExportCommand.self,
        ProfileCommand.self,
        ModelsCommand.self,
        MetricsCommand.self,
    ]
}
