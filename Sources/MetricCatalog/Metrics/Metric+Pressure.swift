import SystemProbe

/// Pressure stall information of the whole machine (`/proc/pressure/{cpu,memory,io}`).
/// The `*_total` counters are judged as the share of the trial's time stalled: trials differ in length.
extension Metric {
    /// Below 1 % of the time, a machine-wide stall explains no latency change.
    static let negligibleStallPercent = 1.0

    public static let pressureCPUSomeAverage = Metric(
        name: "psi.cpu.some_avg10", label: "PSI cpu some avg10", unit: .percent, kind: .gauge, source: .psi,
        reading: .probe { $0.psiCpuSomeAvg10 }, help: "cpu some avg10: share of the last 10 s a task waited for a CPU.")
    public static let pressureMemorySomeAverage = Metric(
        name: "psi.memory.some_avg10", label: "PSI memory some avg10", unit: .percent, kind: .gauge, source: .psi,
        reading: .probe { $0.psiMemorySomeAvg10 },
        help: "memory some avg10: share of the last 10 s a task stalled on memory.")
    public static let pressureIOSomeAverage = Metric(
        name: "psi.io.some_avg10", label: "PSI io some avg10", unit: .percent, kind: .gauge, source: .psi,
        reading: .probe { $0.psiIoSomeAvg10 }, help: "io some avg10: share of the last 10 s a task stalled on I/O.")
    public static let pressureCPUSome = Metric(
        name: "psi.cpu.some_total", label: "PSI cpu some", unit: .microseconds, kind: .counter, source: .psi,
        reading: .probe { $0.psiCpuSomeTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent,
        help: "cpu some total: time some runnable task waited for a CPU, cumulative (the engine's own threads count).")
    public static let pressureMemorySome = Metric(
        name: "psi.memory.some_total", label: "PSI memory some", unit: .microseconds, kind: .counter, source: .psi,
        reading: .probe { $0.psiMemorySomeTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent,
        help: "memory some total: time some task stalled on memory (reclaim, refaults, swap-in), cumulative.")
    public static let pressureMemoryFull = Metric(
        name: "psi.memory.full_total", label: "PSI memory full", unit: .microseconds, kind: .counter, source: .psi,
        reading: .probe { $0.psiMemoryFullTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent,
        help: "memory full total: time every non-idle task stalled on memory at once, cumulative.")
    public static let pressureIOSome = Metric(
        name: "psi.io.some_total", label: "PSI io some", unit: .microseconds, kind: .counter, source: .psi,
        reading: .probe { $0.psiIoSomeTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent, help: "io some total: time some task stalled on I/O, cumulative.")
    public static let pressureIOFull = Metric(
        name: "psi.io.full_total", label: "PSI io full", unit: .microseconds, kind: .counter, source: .psi,
        reading: .probe { $0.psiIoFullTotalUs.map { Double($0) } }, aggregate: .shareOfTime,
        negligibleBelow: negligibleStallPercent,
        help: "io full total: time every non-idle task stalled on I/O at once, cumulative.")
    public static let pressureCPUSomeRate = Metric(
        name: "psi.cpu.some_us_per_s", label: "PSI cpu some", unit: .microsecondsPerSecond, kind: .rate,
        source: .psi, reading: .probe { $0.psiCpuSomeUsPerS }, help: "CPU stall (some) per second.")
    public static let pressureMemorySomeRate = Metric(
        name: "psi.memory.some_us_per_s", label: "PSI memory some", unit: .microsecondsPerSecond, kind: .rate,
        source: .psi, reading: .probe { $0.psiMemorySomeUsPerS }, help: "Memory stall (some) per second.")
    public static let pressureMemoryFullRate = Metric(
        name: "psi.memory.full_us_per_s", label: "PSI memory full", unit: .microsecondsPerSecond, kind: .rate,
        source: .psi, reading: .probe { $0.psiMemoryFullUsPerS }, help: "Memory stall (full) per second.")
    public static let pressureIOSomeRate = Metric(
        name: "psi.io.some_us_per_s", label: "PSI io some", unit: .microsecondsPerSecond, kind: .rate, source: .psi,
        reading: .probe { $0.psiIoSomeUsPerS }, help: "I/O stall (some) per second.")
    public static let pressureIOFullRate = Metric(
        name: "psi.io.full_us_per_s", label: "PSI io full", unit: .microsecondsPerSecond, kind: .rate, source: .psi,
        reading: .probe { $0.psiIoFullUsPerS }, help: "I/O stall (full) per second.")

    static let pressureMetrics: [Metric] = [
        pressureCPUSomeAverage, pressureMemorySomeAverage, pressureIOSomeAverage, pressureCPUSome, pressureMemorySome,
        pressureMemoryFull, pressureIOSome, pressureIOFull, pressureCPUSomeRate, pressureMemorySomeRate,
        pressureMemoryFullRate, pressureIOSomeRate, pressureIOFullRate,
    ]
}
