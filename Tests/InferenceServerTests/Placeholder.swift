// InferenceServerTests
