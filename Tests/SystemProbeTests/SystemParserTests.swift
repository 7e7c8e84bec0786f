import Testing
@testable import SystemProbe

@Suite struct SystemParserTests {
    @Test func vmstatFromThisMachine() throws {
        let vm = VMStat.parse(try fixture("system/vmstat"))
        #expect(vm.pgfault == 21_553_454)
        #expect(vm.pgmajfault == 1448)
        #expect(vm.pswpin == 0)
        #expect(vm.workingsetRefaultFile == 51740)
        #expect(vm.pgscanDirect == 0)
        // This kernel splits allocstall by zone; the model sums them.
        #expect(vm.allocstall == 0)
    }

    @Test func vmstatMissingAndExtraKeys() {
        let vm = VMStat.parse("brand_new_counter 5\npgmajfault 7\nallocstall_normal 2\nallocstall_movable 3\n")
        #expect(vm.pgmajfault == 7)
        #expect(vm.pgfault == nil)
        #expect(vm.allocstall == 5)
        #expect(VMStat.parse("allocstall 9\n").allocstall == 9)
    }

    @Test func cpuTimes() throws {
        let cpu = try CPUTimes.parse(try fixture("system/stat"))
        #expect(cpu.user == 79526)
        #expect(cpu.idle == 20539)
        #expect(cpu.iowait == 361)
        #expect(cpu.total == 79526 + 0 + 10474 + 20539 + 361 + 0 + 59 + 71)
        #expect(cpu.busy == cpu.total - 20539 - 361)
        #expect(throws: ProbeError.self) { try CPUTimes.parse("intr 1 2 3\n") }
    }

    @Test func pressureFiles() throws {
        let io = Pressure.parse(try fixture("system/pressure_io"))
        #expect(io.some == PressureLine(avg10: 2.39, avg60: 0.51, avg300: 0.31, totalMicroseconds: 4_407_779))
        #expect(io.full?.totalMicroseconds == 2_894_306)
        let oldCPU = Pressure.parse("some avg10=1.00 avg60=0.50 avg300=0.10 total=1234\n")
        #expect(oldCPU.some?.totalMicroseconds == 1234)
        #expect(oldCPU.full == nil)
    }

    @Test func diskstatsAndIostatDerivations() throws {
        let all = DiskStat.parse(try fixture("system/diskstats"))
        let vda = try #require(all.first { $0.name == "vda" })
        #expect(vda.readsCompleted == 36406)
        #expect(vda.sectorsRead == 3_450_074)
        #expect(vda.readMilliseconds == 20519)
        #expect(vda.ioMilliseconds == 8972)
        #expect(vda.weightedMilliseconds == 35559)
        #expect(DiskStat.wholeDisks(all).map(\.name) == ["vda"])

        let later = DiskStat(
            name: "vda", readsCompleted: vda.readsCompleted + 200, sectorsRead: vda.sectorsRead + 2048 * 100,
            readMilliseconds: vda.readMilliseconds + 400, writesCompleted: vda.writesCompleted,
            sectorsWritten: vda.sectorsWritten, writeMilliseconds: vda.writeMilliseconds, inFlight: 0,
            ioMilliseconds: vda.ioMilliseconds + 500, weightedMilliseconds: vda.weightedMilliseconds + 1500)
        let rates = DiskRates.between(vda, later, seconds: 2)
        #expect(rates.readsPerSecond == 100)
        #expect(rates.readKBPerSecond == 51200)  // 100 MiB in 2 s
        #expect(rates.readAwaitMilliseconds == 2)
        #expect(rates.writeAwaitMilliseconds == nil)
        #expect(rates.averageQueueSize == 0.75)
        #expect(rates.utilizationPercent == 25)
    }

    @Test func partitionsAreNotWholeDisks() {
        let text = """
            259 0 nvme0n1 10 0 80 1 0 0 0 0 0 1 1 0 0 0 0
            259 1 nvme0n1p1 10 0 80 1 0 0 0 0 0 1 1 0 0 0 0
               8 0 sda 5 0 40 1 0 0 0 0 0 1 1
               8 1 sda1 5 0 40 1 0 0 0 0 0 1 1
               7 0 loop0 1 0 8 0 0 0 0 0 0 0 0
            """
        #expect(DiskStat.wholeDisks(DiskStat.parse(text)).map(\.name) == ["nvme0n1", "sda"])
    }

    @Test func quantities() {
        #expect(Quantity.bytes("300M") == 300 * 1_048_576)
        #expect(Quantity.bytes("1G") == 1_073_741_824)
        #expect(Quantity.bytes("1GiB") == 1_073_741_824)
        #expect(Quantity.bytes("512k") == 524_288)
        #expect(Quantity.bytes("4096") == 4096)
        #expect(Quantity.bytes("-1") == nil)
        #expect(Quantity.bytes("abc") == nil)
        #expect(Quantity.bytes("") == nil)
        #expect(Quantity.seconds("100ms") == 0.1)
        #expect(Quantity.seconds("10s") == 10)
        #expect(Quantity.seconds("2m") == 120)
        #expect(Quantity.seconds("3") == 3)
        #expect(Quantity.seconds("fast") == nil)
        #expect(Quantity.seconds("-1s") == nil)
    }
}
