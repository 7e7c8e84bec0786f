// ExperimentsTests
