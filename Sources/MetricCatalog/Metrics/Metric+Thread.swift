import SystemProbe

/// Each engine thread, from `/proc/<pid>/task/<tid>` (`ThreadSample`), so a straggler at
/// llama.cpp's barriers shows.
extension Metric {
    public static let threadCPUTime = Metric(
        name: "thread.cpu_ms", label: "thread CPU time", unit: .milliseconds, kind: .counter, source: .thread,
        reading: .thread { $0.cpuMilliseconds }, help: "User + system CPU time of the thread, cumulative.")
    public static let threadRunTime = Metric(
        name: "thread.run_ns", label: "thread time on CPU", unit: .nanoseconds, kind: .counter, source: .thread,
        reading: .thread { $0.runNanoseconds.map { Double($0) } }, help: "schedstat time on CPU, cumulative.")
    public static let threadRunqueueWait = Metric(
        name: "thread.runqueue_wait_ns", label: "thread run-queue wait", unit: .nanoseconds, kind: .counter,
        source: .thread, reading: .thread { $0.waitNanoseconds.map { Double($0) } },
        help: "schedstat time runnable but waiting for a CPU, cumulative.")
    public static let threadCPUCores = Metric(
        name: "thread.cpu_cores", label: "thread CPU cores", unit: .cores, kind: .rate, source: .thread,
        reading: .thread { $0.cpuCores }, help: "CPU cores the thread used over the interval.")
    public static let threadRunqueueWaitRate = Metric(
        name: "thread.runqueue_wait_ms_per_s", label: "thread run-queue wait", unit: .millisecondsPerSecond,
        kind: .rate, source: .thread, reading: .thread { $0.waitMillisecondsPerSecond },
        help: "Time runnable but waiting for a CPU per second of wall time.")

    static let threadMetrics: [Metric] = [
        threadCPUTime, threadRunTime, threadRunqueueWait, threadCPUCores, threadRunqueueWaitRate,
    ]
}
