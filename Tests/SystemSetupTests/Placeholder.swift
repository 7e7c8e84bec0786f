// SystemSetupTests
