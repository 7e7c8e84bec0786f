# InferLab. `make run` and `make test` are all a fresh machine needs.
SWIFT ?= swift
BIN := .build/release/inferlab

.PHONY: bench study run generate test test-cgroup-v2 lint build bootstrap bench-engine bench-client bench-server bench-probe bench-profile bench-workloads bench-clients bench-chat format clean

bootstrap:
	scripts/bootstrap --with-browser

build: bootstrap
	$(SWIFT) build -c release --product inferlab

# The main job on the default model: the quickstart experiment (continuous vs single batching
# at two concurrencies, with the OS probe), ending with the path of its report.
run: build
	$(BIN) run experiments/quickstart.yaml

# One prompt, one model: the local baseline runner.
generate: build
	$(BIN) generate --model smollm2-135m --chat --prompt "Explain in two sentences why the sky is blue." --max-tokens 96

test: bootstrap lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	scripts/test-cgroup-v2

# The cgroup v2 tests in a v2-only guest kernel under qemu (about a minute); "N passed, 0 failed".
test-cgroup-v2: bootstrap
	$(SWIFT) build --build-tests
	scripts/test-cgroup-v2

# One scheduler on the batching study's frozen corpus: results/<variant>/<timestamp>.parquet
# (one row per request, with its trial, level and label), e.g. make bench VARIANT=continuous (~3 min).
bench: build
	VARIANT=$(VARIANT) scripts/bench-variant

# The four studies (bounded-realtime, server-profile, batching, paging), each resumed where it
# stopped and each with its report in results/studies/NAME/ (about an hour in all; each study
# prints its own estimate, under 30 minutes, before it starts).
study: build
	for s in bounded-realtime server-profile batching paging; do $(BIN) study $$s || exit $$?; done

bench-engine: build
	scripts/bench-engine

bench-client: build
	scripts/bench-client

bench-server: build
	scripts/bench-server

# The workloads of inferlab bench on the default model, InferLab against llama-server: 20 % of the
# requests hanging up after 5 tokens against none, and the max-rate search under an SLO (~10 min).
bench-workloads: build
	scripts/bench-workloads

# Chat traffic with caches on (sessions outnumbering sequences, shared system prompts) and decode
# at depth: inferlab serve against llama-server, interleaved (about 25 minutes).
bench-chat: build
	scripts/bench-chat

# GuideLLM, NVIDIA AIPerf and inferlab bench against the same llama-server, prompts and rate, and
# against a mock that answers at once (a throwaway virtual environment; ~15 min).
bench-clients: build
	scripts/bench-clients

bench-probe: build
	scripts/bench-probe

bench-profile: build
	scripts/bench-profile

# .swift-format: 4 spaces, 120 columns. `make format` rewrites, `make lint` checks (part of `make test`).
format:
	swift-format format --in-place --recursive Sources Tests Package.swift

lint:
	swift-format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build
