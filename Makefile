# Two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CIVICID_HOME ?= ./var
CIVICID_DATA ?= ../shared/data
export CIVICID_HOME CIVICID_DATA
# A dlib built against OpenBLAS, cached per machine by `make fast` (see README, "Fast path").
WHEEL_CACHE ?= $(HOME)/.cache/civicid/wheels
DLIB_VERSION := 20.0.1
FAST_WHEEL = $(firstword $(wildcard $(WHEEL_CACHE)/dlib-$(DLIB_VERSION)-*.whl))
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/civicid_test

.PHONY: run test install system-deps fast bench clean

$(BIN)/civicid: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/civicid face fetch-models
	@if [ -n "$(FAST_WHEEL)" ]; then \
	  echo "Using the cached OpenBLAS dlib: $(FAST_WHEEL)"; \
	  $(BIN)/pip uninstall -q -y dlib-bin && $(BIN)/pip install -q --no-deps --force-reinstall "$(FAST_WHEEL)"; \
	fi
	touch $@

install: $(BIN)/civicid

# System packages the tests need (browser for e2e, ffmpeg for fake-camera video, Go and its sumdb
# packages for the transparency-log interop test); root on these machines.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	test -d /usr/share/gocode/src/golang.org/x/mod/sumdb || missing="$$missing golang-golang-x-mod-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install
	$(BIN)/civicid serve --host localhost --port 8000

test: install system-deps
	@if command -v npm >/dev/null && [ ! -d tests/e2e/interop/node_modules ]; then \
	  (cd tests/e2e/interop && npm ci --no-audit --no-fund --loglevel=error); fi
	-@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='civicid_test'" 2>/dev/null | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE civicid_test" >/dev/null 2>&1 || true
	CIVICID_TEST_POSTGRES_URL=$${CIVICID_TEST_POSTGRES_URL:-$(PG_URL)} $(BIN)/pytest -n 2 --dist loadgroup

# Optional: build dlib against OpenBLAS once per machine (about 6 minutes on 2 cores), cache the
# wheel, and install it in place of dlib-bin. Later `make run`/`make test` reuse the cached wheel.
fast: install
	@if [ -z "$(FAST_WHEEL)" ]; then \
	  command -v cmake >/dev/null || $(BIN)/pip install -q cmake; \
	  dpkg -s libopenblas-dev >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null); \
	  mkdir -p $(WHEEL_CACHE) && PATH=$(abspath $(BIN)):$$PATH CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	    $(BIN)/pip wheel --no-deps --no-binary dlib -w $(WHEEL_CACHE) dlib==$(DLIB_VERSION); \
	fi
	$(BIN)/pip uninstall -q -y dlib-bin || true
	$(BIN)/pip install -q --no-deps --force-reinstall $$(ls $(WHEEL_CACHE)/dlib-$(DLIB_VERSION)-*.whl | head -1)
	touch $(BIN)/civicid

# The face benchmark compares with face_recognition (no-deps: it only needs dlib and the weights we
# already have) on both dlib builds, each installed into its own folder under bench/.dlib.
FACE_RECOGNITION_VERSION := 1.3.0
bench: install
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/pip install -q --no-deps face_recognition==$(FACE_RECOGNITION_VERSION)
	test -d bench/.dlib/bin/dlib || $(BIN)/pip install -q --no-deps --target bench/.dlib/bin dlib-bin==20.0.1.post1
	@if [ -n "$(FAST_WHEEL)" ]; then test -d bench/.dlib/blas/dlib || $(BIN)/pip install -q --no-deps --target bench/.dlib/blas "$(FAST_WHEEL)"; \
	  else echo "No OpenBLAS dlib cached: run 'make fast' first to include it in the benchmark."; fi
	$(BIN)/python bench/face_bench.py
	$(BIN)/python bench/enrol_bench.py
	$(BIN)/python bench/audit_bench.py --sizes 10000,100000,1000000
	$(BIN)/python bench/oidc_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache
