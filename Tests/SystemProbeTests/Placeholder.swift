// SystemProbeTests
