public import InferLabCore

extension ProbeSample {
    /// Flattens a snapshot and derives rates from the previous one (pure).
    ///
    /// - Parameters:
    ///   - start: the sampler's start time (for `elapsed_ms`).
    ///   - ticksPerSecond: the clock-tick rate of utime/stime (`ProcFS.ticksPerSecond`).
    ///   - cpuSince: the time and utime + stime ticks `cpu_cores` is taken from; `previous` when
    ///     `nil` (a sampler passes an older reading, see `SampleDeriver`).
    public static func derive(
        _ now: ProbeSnapshot, previous: ProbeSnapshot?, start: MonotonicInstant, ticksPerSecond: Double = 100,
        cpuSince: (time: MonotonicInstant, ticks: UInt64)? = nil
    ) -> ProbeSample {
        var s = ProbeSample(time: now.time, elapsedMs: max(Duration.zero, now.time - start).milliseconds)
        let tick = 1000 / ticksPerSecond
        var seconds: Double?
        if let previous, now.time > previous.time {
            s.intervalMs = (now.time - previous.time).milliseconds
            seconds = s.intervalMs! / 1000
        }
        /// The per-second rate of a cumulative counter, when both readings have it.
        func rate(_ a: UInt64?, _ b: UInt64?, scale: Double = 1) -> Double? {
            guard let seconds, let a, let b else { return nil }
            return b >= a ? Double(b - a) * scale / seconds : 0
        }

        s.pid = now.pid
        if let stat = now.stat {
            s.state = stat.state
            s.minflt = stat.minflt
            s.majflt = stat.majflt
            s.utimeMs = Double(stat.utimeTicks) * tick
            s.stimeMs = Double(stat.stimeTicks) * tick
            s.numThreads = stat.numThreads
            s.processor = stat.processor
            let p = previous?.stat
            let ticks = stat.utimeTicks + stat.stimeTicks
            let base =
                cpuSince
                ?? previous.flatMap { old in old.stat.map { (old.time, $0.utimeTicks + $0.stimeTicks) } }
            if let base, now.time > base.time {
                let span = (now.time - base.time).seconds
                s.cpuCores = ticks >= base.ticks ? Double(ticks - base.ticks) / ticksPerSecond / span : 0
            }
            s.majfltPerS = rate(p?.majflt, stat.majflt)
            s.minfltPerS = rate(p?.minflt, stat.minflt)
        }
        if let status = now.status {
            s.rssBytes = status.vmRSS
            s.hwmBytes = status.vmHWM
            s.rssAnonBytes = status.rssAnon
            s.rssFileBytes = status.rssFile
            s.lockedBytes = status.vmLck
            s.swapBytes = status.vmSwap
            s.voluntaryCtxtSwitches = status.voluntaryCtxtSwitches
            s.nonvoluntaryCtxtSwitches = status.nonvoluntaryCtxtSwitches
            s.cpusAllowedList = status.cpusAllowedList
            let p = previous?.status
            func total(_ x: ProcessStatus?) -> UInt64? {
                guard let v = x?.voluntaryCtxtSwitches, let n = x?.nonvoluntaryCtxtSwitches else { return nil }
                return v + n
            }
            if now.sched == nil { s.ctxswPerS = rate(total(p), total(status)) }
            s.nonvoluntaryCtxswPerS = rate(p?.nonvoluntaryCtxtSwitches, status.nonvoluntaryCtxtSwitches)
        }
        if let sched = now.sched {
            s.runNs = sched.runNanoseconds
            s.runqueueWaitNs = sched.waitNanoseconds
            s.timeslices = sched.timeslices
            s.runqueueWaitMsPerS = rate(previous?.sched?.waitNanoseconds, sched.waitNanoseconds, scale: 1e-6)
            s.ctxswPerS = rate(previous?.sched?.timeslices, sched.timeslices)
        }
        if let io = now.io {
            s.readBytes = io.readBytes
            s.writeBytes = io.writeBytes
            s.rchar = io.rchar
            s.readMbPerS = rate(previous?.io?.readBytes, io.readBytes, scale: 1e-6)
        }
        if let threads = now.threads {
            let before = Dictionary(
                (previous?.threads ?? []).map { ($0.stat.pid, $0) }, uniquingKeysWith: { a, _ in a })
            s.threads = threads.map { t in
                let old = before[t.stat.pid]
                return ThreadSample(
                    tid: t.stat.pid, comm: t.stat.comm, state: t.stat.state, processor: t.stat.processor,
                    cpuMilliseconds: Double(t.stat.utimeTicks + t.stat.stimeTicks) * tick,
                    runNanoseconds: t.sched?.runNanoseconds, waitNanoseconds: t.sched?.waitNanoseconds,
                    cpuCores: rate(old?.sched?.runNanoseconds, t.sched?.runNanoseconds, scale: 1e-9),
                    waitMillisecondsPerSecond: rate(old?.sched?.waitNanoseconds, t.sched?.waitNanoseconds, scale: 1e-6))
            }
        }
        s.fillSystem(now, previous, rate: rate, seconds: seconds)
        s.fillCgroup(now.cgroup, previous?.cgroup, rate: rate)
        s.filePath = now.filePath
        s.fileResidentFraction = now.fileResidentFraction
        return s
    }

    /// Derives a sample when the slow readings (see `ProbeConfiguration.slowIntervalMilliseconds`)
    /// are taken less often than samples (pure). Fast fields' rates are over `previous`. A snapshot
    /// with fresh slow readings gets their rates (and the threads') over `previousSlow`, the
    /// snapshot of the slow readings before; a snapshot between slow readings has none, so its
    /// sample carries the fast fields only.
    public static func derive(
        _ now: ProbeSnapshot, previous: ProbeSnapshot?, previousSlow: ProbeSnapshot?, start: MonotonicInstant,
        ticksPerSecond: Double = 100, cpuSince: (time: MonotonicInstant, ticks: UInt64)? = nil
    ) -> ProbeSample {
        var sample = derive(now, previous: previous, start: start, ticksPerSecond: ticksPerSecond, cpuSince: cpuSince)
        if now.slowFresh, previous?.time != previousSlow?.time {
            let slow = derive(now, previous: previousSlow, start: start, ticksPerSecond: ticksPerSecond)
            sample.copySlowRates(from: slow)
            sample.threads = slow.threads  // thread rates over the slow interval too
        }
        return sample
    }

    /// Copies the rates of the slow readings (status, schedstat, io, system, cgroup memory and
    /// pressure).
    mutating func copySlowRates(from other: ProbeSample) {
        ctxswPerS = other.ctxswPerS
        runqueueWaitMsPerS = other.runqueueWaitMsPerS
        nonvoluntaryCtxswPerS = other.nonvoluntaryCtxswPerS
        readMbPerS = other.readMbPerS
        sysCpuBusyFraction = other.sysCpuBusyFraction
        sysCpuUserFraction = other.sysCpuUserFraction
        sysPgmajfaultPerS = other.sysPgmajfaultPerS
        sysPswpinPerS = other.sysPswpinPerS
        sysRefaultFilePerS = other.sysRefaultFilePerS
        sysPgscanDirectPerS = other.sysPgscanDirectPerS
        psiCpuSomeUsPerS = other.psiCpuSomeUsPerS
        psiMemorySomeUsPerS = other.psiMemorySomeUsPerS
        psiMemoryFullUsPerS = other.psiMemoryFullUsPerS
        psiIoSomeUsPerS = other.psiIoSomeUsPerS
        psiIoFullUsPerS = other.psiIoFullUsPerS
        diskRPerS = other.diskRPerS
        diskReadMbPerS = other.diskReadMbPerS
        diskWriteMbPerS = other.diskWriteMbPerS
        diskRAwaitMs = other.diskRAwaitMs
        diskAquSz = other.diskAquSz
        diskUtilPct = other.diskUtilPct
        cgPsiCpuSomeUsPerS = other.cgPsiCpuSomeUsPerS
        cgPsiMemorySomeUsPerS = other.cgPsiMemorySomeUsPerS
        cgPsiIoSomeUsPerS = other.cgPsiIoSomeUsPerS
    }

    private mutating func fillSystem(
        _ now: ProbeSnapshot, _ previous: ProbeSnapshot?, rate: (UInt64?, UInt64?, Double) -> Double?,
        seconds: Double?
    ) {
        if let vm = now.vmstat {
            sysPgfault = vm.pgfault
            sysPgmajfault = vm.pgmajfault
            sysPswpin = vm.pswpin
            sysPswpout = vm.pswpout
            sysWorkingsetRefaultFile = vm.workingsetRefaultFile
            sysPgscanDirect = vm.pgscanDirect
            sysAllocstall = vm.allocstall
            let p = previous?.vmstat
            sysPgmajfaultPerS = rate(p?.pgmajfault, vm.pgmajfault, 1)
            sysPswpinPerS = rate(p?.pswpin, vm.pswpin, 1)
            sysRefaultFilePerS = rate(p?.workingsetRefaultFile, vm.workingsetRefaultFile, 1)
            sysPgscanDirectPerS = rate(p?.pgscanDirect, vm.pgscanDirect, 1)
        }
        if let cpu = now.cpu, let old = previous?.cpu, cpu.total > old.total {
            sysCpuBusyFraction = Double(cpu.busy &- old.busy) / Double(cpu.total - old.total)
            sysCpuUserFraction =
                Double((cpu.user &+ cpu.nice) &- (old.user &+ old.nice)) / Double(cpu.total - old.total)
        }
        psiCpuSomeAvg10 = now.pressureCPU?.some?.avg10
        psiMemorySomeAvg10 = now.pressureMemory?.some?.avg10
        psiIoSomeAvg10 = now.pressureIO?.some?.avg10
        psiCpuSomeTotalUs = now.pressureCPU?.some?.totalMicroseconds
        psiMemorySomeTotalUs = now.pressureMemory?.some?.totalMicroseconds
        psiMemoryFullTotalUs = now.pressureMemory?.full?.totalMicroseconds
        psiIoSomeTotalUs = now.pressureIO?.some?.totalMicroseconds
        psiIoFullTotalUs = now.pressureIO?.full?.totalMicroseconds
        psiCpuSomeUsPerS = rate(previous?.pressureCPU?.some?.totalMicroseconds, psiCpuSomeTotalUs, 1)
        psiMemorySomeUsPerS = rate(previous?.pressureMemory?.some?.totalMicroseconds, psiMemorySomeTotalUs, 1)
        psiMemoryFullUsPerS = rate(previous?.pressureMemory?.full?.totalMicroseconds, psiMemoryFullTotalUs, 1)
        psiIoSomeUsPerS = rate(previous?.pressureIO?.some?.totalMicroseconds, psiIoSomeTotalUs, 1)
        psiIoFullUsPerS = rate(previous?.pressureIO?.full?.totalMicroseconds, psiIoFullTotalUs, 1)
        if let disk = now.disk, let old = previous?.disk, let seconds {
            let r = DiskRates.between(old, disk, seconds: seconds, devices: now.diskCount)
            diskRPerS = r.readsPerSecond
            diskReadMbPerS = r.readKBPerSecond * 1024 / 1e6
            diskWriteMbPerS = r.writeKBPerSecond * 1024 / 1e6
            diskRAwaitMs = r.readAwaitMilliseconds
            diskAquSz = r.averageQueueSize
            diskUtilPct = r.utilizationPercent
        }
    }

    private mutating func fillCgroup(
        _ cg: CgroupStats?, _ old: CgroupStats?, rate: (UInt64?, UInt64?, Double) -> Double?
    ) {
        guard let cg else { return }
        cgroupVersion = cg.version
        cgroupPath = cg.path
        cgUsageUsec = cg.usageMicroseconds
        cgNrPeriods = cg.nrPeriods
        cgNrThrottled = cg.nrThrottled
        cgThrottledUsec = cg.throttledMicroseconds
        cgCpuQuotaCores = cg.cpuQuotaCores
        cgMemoryCurrentBytes = cg.memoryCurrentBytes
        cgMemoryMaxBytes = cg.memoryMaxBytes
        cgMemoryHighBytes = cg.memoryHighBytes
        cgMemoryPeakBytes = cg.memoryPeakBytes
        cgOomKill = cg.oomKill
        cgEventsMax = cg.eventsMax
        cgEventsHigh = cg.eventsHigh
        cgFailcnt = cg.failcnt
        cgPgmajfault = cg.pgmajfault
        cgAnonBytes = cg.anonBytes
        cgFileBytes = cg.fileBytes
        cgWorkingsetRefaultFile = cg.workingsetRefaultFile
        cgCpuCores = rate(old?.usageMicroseconds, cg.usageMicroseconds, 1e-6)
        cgThrottledUsecPerS = rate(old?.throttledMicroseconds, cg.throttledMicroseconds, 1)
        cgNrThrottledPerS = rate(old?.nrThrottled, cg.nrThrottled, 1)
        cgPsiCpuSomeUsPerS = rate(old?.cpuPressure?.some?.totalMicroseconds, cg.cpuPressure?.some?.totalMicroseconds, 1)
        cgPsiMemorySomeUsPerS = rate(
            old?.memoryPressure?.some?.totalMicroseconds, cg.memoryPressure?.some?.totalMicroseconds, 1)
        cgPsiIoSomeUsPerS = rate(old?.ioPressure?.some?.totalMicroseconds, cg.ioPressure?.some?.totalMicroseconds, 1)
        cgPsiCpuSomeTotalUs = cg.cpuPressure?.some?.totalMicroseconds
        cgPsiMemorySomeTotalUs = cg.memoryPressure?.some?.totalMicroseconds
        cgPsiMemoryFullTotalUs = cg.memoryPressure?.full?.totalMicroseconds
        cgPsiIoSomeTotalUs = cg.ioPressure?.some?.totalMicroseconds
    }
}
