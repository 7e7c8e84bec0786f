// The pinned llama.cpp headers, installed by scripts/bootstrap and linked as .deps/llama.cpp.
#include "../../.deps/llama.cpp/include/llama.h"
#include "../../.deps/llama.cpp/include/ggml-cpu.h"
