# Sales Home pipelines. Needs only python3 and make: uv is bootstrapped when missing.
#   make demo    run the demo (sets up .venv first)
#   make test    ruff + mypy + pytest, then the control-plane tests on PostgreSQL (what CI runs, through .ci/run)
#   make bench   run every benchmark, write bench/results.md (syncs the `bench` group: dlt)
#   make lint    ruff check + ruff format --check + mypy
#   make fmt     apply ruff format and the safe ruff fixes
#   make setup   create/refresh .venv from uv.lock (uv sync --frozen --extra sandbox)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
PYTEST_ARGS ?=
# Tests run in parallel (pytest-xdist): most of their time is spent waiting on sandboxes and subprocesses.
PYTEST_WORKERS ?= 3
# The control-plane tests (settings, notifications, outbox and publisher, CLI), run a second time with every control
# store on PostgreSQL (a server the session starts: tests/fixtures/postgres.py). Left out: the publisher crash
# and outbox claim tests (they choose their backends themselves: `store`), the files of these folders that open no
# control store (DuckDB compile and detection, rendering, Slack pagination and errors, the plan check), the other
# test_cli* files (help, packaging; test_cli_read_only is about what a SQLite home's directory holds).
CONTROL_PLANE_TESTS := tests/settings tests/notify tests/slack tests/celebrate tests/test_cli_org.py \
	tests/test_cli_status.py tests/test_dead_letters.py tests/test_control_backends.py tests/test_control_sql.py \
	tests/test_control_store.py \
	$(addprefix --ignore=tests/,slack/test_publisher_crash.py slack/test_outbox_claims.py notify/test_compile.py \
	celebrate/test_detect.py celebrate/test_render.py slack/test_pages.py slack/test_errors.py settings/test_plan_check.py)

# Always sync into ./.venv, whatever virtualenv the caller has active.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# Installed packages compiled to bytecode once, at setup: with PYTHONDONTWRITEBYTECODE set, every process would
# otherwise compile what it imports (pandas alone takes seconds) at each start.
export UV_COMPILE_BYTECODE := 1

# uv: the one on PATH, else a private copy installed with pip into .tools/.
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(TOOLS)/bin/uv
UV_BOOTSTRAP := $(UV)
endif

.PHONY: help setup demo test lint fmt bench clean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

# A tools venv with uv in it; when python3 has no venv module (Debian without python3-venv),
# `pip install --target` instead. Either way nothing is installed outside this checkout.
$(TOOLS)/bin/uv:
	@echo "uv is not on PATH: installing it into $(TOOLS)/ with pip"
	@rm -rf $(TOOLS)
	@if $(PYTHON) -m venv $(TOOLS) >/dev/null 2>&1; then \
		$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv; \
	else \
		rm -rf $(TOOLS) && \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS)/lib uv && \
		mkdir -p $(TOOLS)/bin && ln -sf ../lib/bin/uv $(TOOLS)/bin/uv; \
	fi
	@$(UV) --version

# The `sandbox` extra (saleshome[sandbox]): the sandboxes' own dependencies, which the demo and the tests need.
setup: $(UV_BOOTSTRAP)
	@$(UV) sync --frozen --quiet --extra sandbox

demo: setup
	$(BIN)/saleshome demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --control-backend=postgresql $(CONTROL_PLANE_TESTS) $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The `bench` dependency group (dlt, for bench/sync_vs_dlt.py) is not a default group: this
# sync adds it (an exact sync of the default groups plus `bench`), and the next `make setup`/
# `make test` (exact sync of the default groups and the sandbox extra) removes it again, so tests never see dlt.
bench: $(UV_BOOTSTRAP)
	@$(UV) sync --frozen --quiet --extra sandbox --group bench
	$(BIN)/python -m bench all

clean:
	rm -rf $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
