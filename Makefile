# The two front-door commands: `make demo` and `make test`. Each sets up .venv by itself.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,local,lab,embed
# llama.cpp built for the x86-64 baseline with AVX2/FMA, not -march=native: a machine whose CPU
# reports AMX that its hypervisor does not enable dies on the first AMX instruction (seen here:
# a general protection fault in ggml_backend_amx_mul_mat). Set CMAKE_ARGS to build otherwise.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: demo demo-live record test lint types pytest notebooks lab bench clean venv sysdeps

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@echo "Installing toolkit[$(EXTRAS)] into $(VENV) (the first time compiles llama.cpp: about 6-7 minutes on 2 cores)..."
	CMAKE_ARGS="$${CMAKE_ARGS:-$(LLAMA_CMAKE_ARGS)}" $(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	@touch $(STAMP)

# System packages some tests need (headless Chromium for the HTML report tests).
# Installed only when missing and we are root; otherwise those tests skip and say why.
sysdeps:
	@if ! test -x /usr/bin/python3 && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's python3 (the code sandbox runs answers with it when root)..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null) || true; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the report tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium; the report rendering tests will be skipped"; \
	  else echo "chromium missing and not root: the report rendering tests will be skipped"; fi; \
	fi

# the main job: single vs routed strategies on the recorded lab, table + cost report
demo: $(STAMP)
	$(BIN)/toolkit demo --out reports/demo

# the same, re-running the lab for real through the cache (starts the local Gemma server)
demo-live: $(STAMP)
	$(BIN)/toolkit demo --live --out reports/demo

# regenerate the recorded runs (data/runs/lab, data/runs/orchestrator)
record: $(STAMP)
	$(BIN)/python benchmarks/record_lab.py

lint: $(STAMP)
	$(BIN)/ruff check toolkit tests benchmarks notebooks
	$(BIN)/ruff format --check toolkit tests benchmarks notebooks

types: $(STAMP)
	$(BIN)/mypy --strict toolkit

# the test suite and the notebooks (nbval), in one pytest run
pytest: $(STAMP) sysdeps
	$(BIN)/pytest -q -ra tests notebooks --nbval-lax --nbval-current-env

notebooks: $(STAMP)
	$(BIN)/pytest -q --nbval-lax --nbval-current-env notebooks/

test: lint types pytest

# JupyterLab on the notebooks, on 127.0.0.1 only, with a fresh token in the printed URL;
# --allow-root where we are root (containers and CI often are)
LAB_PORT ?= 8888
lab: $(STAMP)
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	root=$$([ "$$(id -u)" = "0" ] && echo --allow-root); \
	echo "JupyterLab: open http://127.0.0.1:$(LAB_PORT)/lab?token=$$token (Ctrl-C stops it)"; \
	exec $(BIN)/jupyter lab notebooks/ --no-browser --ip 127.0.0.1 --port $(LAB_PORT) \
	  --ServerApp.port_retries=0 --IdentityProvider.token=$$token $$root

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
