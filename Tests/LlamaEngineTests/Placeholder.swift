// LlamaEngineTests
