// ConstraintsTests
