extension FoldedStacks {
    /// The frame a sample that held nothing but its thread keeps once threads are merged.
    public static let noFrames = "[no frames]"

    /// The same samples with the root frame (the thread's name) dropped, so the stacks of all
    /// threads merge by function. Two runs name and number their threads differently (a pool's
    /// `llama-worker-3` may be another run's `-5`, a Swift thread's name is cut by the kernel),
    /// so compare runs this way. A sample that was only its thread keeps `noFrames`, so the
    /// total stays the same.
    public func mergingThreads() -> FoldedStacks {
        var merged = FoldedStacks()
        for (stack, count) in counts {
            merged.add(stack.count > 1 ? Array(stack.dropFirst()) : [Self.noFrames], count: count)
        }
        return merged
    }
}
