import Testing
@testable import SystemProbe

@Suite struct ProcessParserTests {
    @Test func statFromARealProcess() throws {
        let stat = try ProcessStat.parse(try fixture("proc/stat"))
        #expect(stat.pid == 15501)
        #expect(stat.comm == "python3")
        #expect(stat.state == "S")
        #expect(stat.minflt == 2883)
        #expect(stat.majflt == 0)
        #expect(stat.utimeTicks == 2)
        #expect(stat.stimeTicks == 1)
        #expect(stat.numThreads == 1)
        #expect(stat.processor == 0)
        #expect(stat.exitCode == 0)
    }

    @Test func statSplitsAfterTheLastParenthesis() throws {
        let line = "42 (a) b (c)) R 1 42 42 0 -1 0 7 0 9 0 11 12 0 0 20 0 3 0 99 0 0"
        let stat = try ProcessStat.parse(line)
        #expect(stat.comm == "a) b (c)")
        #expect(stat.state == "R")
        #expect(stat.minflt == 7)
        #expect(stat.majflt == 9)
        #expect(stat.utimeTicks == 11)
        #expect(stat.stimeTicks == 12)
        #expect(stat.numThreads == 3)
        #expect(stat.startTimeTicks == 99)
        #expect(stat.processor == nil)
    }

    @Test func statRejectsGarbage() {
        #expect(throws: ProbeError.self) { try ProcessStat.parse("no parentheses here") }
        #expect(throws: ProbeError.self) { try ProcessStat.parse("1 (x) S 1 2") }
    }

    @Test func taskStatAndSchedstat() throws {
        let stat = try ProcessStat.parse(try fixture("proc/task_stat"))
        #expect(stat.comm == "python3")
        let sched = try SchedStat.parse(try fixture("proc/schedstat"))
        #expect(sched.runNanoseconds == 47_265_942)
        #expect(sched.waitNanoseconds == 37_994_317)
        #expect(sched.timeslices == 27)
        #expect(throws: ProbeError.self) { try SchedStat.parse("1 2") }
    }

    @Test func statusInBytes() throws {
        let status = ProcessStatus.parse(try fixture("proc/status"))
        #expect(status.name == "python3")
        #expect(status.vmRSS == 13520 * 1024)
        #expect(status.vmHWM == 13520 * 1024)
        #expect(status.rssAnon == 6860 * 1024)
        #expect(status.rssFile == 6660 * 1024)
        #expect(status.vmLck == 0)
        #expect(status.vmSwap == 0)
        #expect(status.threads == 1)
        #expect(status.voluntaryCtxtSwitches == 12)
        #expect(status.nonvoluntaryCtxtSwitches == 15)
        #expect(status.cpusAllowedList == "0-1")
    }

    @Test func statusOfAKernelThreadHasNoMemoryKeys() {
        let status = ProcessStatus.parse("Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\nNewKey:\t7\n")
        #expect(status.name == "kthreadd")
        #expect(status.vmRSS == nil)
        #expect(status.rssAnon == nil)
        #expect(status.threads == 1)
    }

    @Test func ioCounters() throws {
        let io = ProcessIO.parse(try fixture("proc/io"))
        #expect(io.rchar == 1_685_836)
        #expect(io.wchar == 1695)
        #expect(io.readBytes == 0)
        #expect(ProcessIO.parse("rchar: 5\n").writeBytes == nil)
    }

    @Test func cpuLists() {
        #expect(CPUList.parse("0-1") == [0, 1])
        #expect(CPUList.parse("0,2-4,7\n") == [0, 2, 3, 4, 7])
        #expect(CPUList.parse("") == [])
        #expect(CPUList.parse("a") == nil)
        #expect(CPUList.parse("3-1") == nil)
        #expect(CPUList.format([4, 0, 1, 2, 7]) == "0-2,4,7")
    }
}
