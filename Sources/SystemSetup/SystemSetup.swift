// SystemSetup
