/// The version of InferLab: the CLI's `--version`, and what a results file records as its writer.
public enum InferLabVersion {
    /// 0.2: the typed run store (schema 2), one configuration vocabulary. 0.3: explain (schema 3:
    /// each engine step names its requests). 0.4: profiles (schema 4: a trial's stacks and
    /// scheduler view).
    public static let current = "0.4.0"
}
