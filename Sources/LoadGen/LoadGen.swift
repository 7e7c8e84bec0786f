// LoadGen
