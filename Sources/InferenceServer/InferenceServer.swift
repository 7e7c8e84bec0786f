// InferenceServer
