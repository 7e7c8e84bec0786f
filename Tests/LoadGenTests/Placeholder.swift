// LoadGenTests
