# One entry point. `make run` and `make test` work on a fresh machine with only
# Python 3.11: they create .venv and install what is missing, then run.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= outputs
# The quick start's settings: a 1-fold backtest of three variants, 2 seeds for the best one.
# `make run RUN_OPTS=` trains with the full defaults (every variant, the dataset's folds, 3 seeds
# for 2).
RUN_OPTS ?= --variants lstm,gru,multi-input --folds 1 --seeds 2 --shortlist 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

PREFECT_PORT ?= 4200
# The local server keeps its SQLite database under the project (PREFECT_HOME), loopback only.
LOCAL_PREFECT := PWD=$(CURDIR) PREFECT_HOME=$(CURDIR)/.prefect \
	PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api PREFECT_SERVER_ANALYTICS_ENABLED=false
POOL := seqcast-process

.PHONY: setup run test lint bench sample clean server worker deploy browser mlflow lock bench-cli bench-overhead bench-run-seconds docs docs-serve

# Everything installs from requirements.lock (every package pinned, every file hashed), so a
# new release in the registry cannot change a fresh install; pyproject.toml keeps the ranges
# and `make lock` refreshes the lock from them on purpose. The project itself goes in last,
# editable and without dependencies (they all came from the lock).
LOCK := requirements.lock

# pip itself comes first, from requirements-pip.lock: the pip a new venv gets (23.0-23.2 on
# Python 3.11) refuses the lock's extras in hash mode. A .venv whose Python is not 3.11
# (or broken) is made anew.
$(STAMP): $(LOCK) requirements-pip.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || \
		{ rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-pip.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the ranges in pyproject.toml into the lock (uv's resolver, every platform),
# keeping each pin that still fits its range; `make lock LOCK_OPTS=--upgrade` takes the newest
# releases instead. Commit the result; tests/project/test_lock.py fails while the two disagree.
LOCK_OPTS ?=
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --generate-hashes \
		--no-header --quiet $(LOCK_OPTS) -o $(LOCK)
	@$(BIN)/python scripts/lock_stamp.py --write
	echo pip | $(BIN)/uv pip compile - --generate-hashes --quiet $(LOCK_OPTS) \
		-o requirements-pip.lock

setup: $(STAMP)

run: $(STAMP)
	@$(BIN)/seqcast train --dataset weekly-temperature --out $(OUT) $(RUN_OPTS)
	@$(BIN)/seqcast train --dataset bike-hourly --out $(OUT) $(RUN_OPTS)

# The suite runs in two processes (pytest-xdist; tests marked xdist_group share one); its
# closing lines list the 15 slowest tests. `make test PYTEST_WORKERS=0` runs it in one.
PYTEST_WORKERS ?= 2
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mkdocs build --strict --quiet
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

# The documentation site from docs/ (mkdocs-material), built with --strict: a broken link or
# a page missing from the nav fails. docs/cli.md is made from the parser first
# (tests/project/test_docs.py fails while the committed page is not what the parser says).
export NO_MKDOCS_2_WARNING := 1
docs: $(STAMP)
	$(BIN)/python scripts/cli_reference.py
	$(BIN)/mkdocs build --strict --quiet

docs-serve: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# Headless Chromium for the report test (tests/e2e/test_report.py skips, saying so, without it).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing: run 'sudo apt-get install chromium' for the browser test"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# How long help and a forecast from a served champion take (medians of 5, fresh processes).
bench-cli: $(STAMP)
	$(BIN)/python scripts/bench_cli.py --with-server

# where one deep fit's time goes: the fit against its epochs' arithmetic alone
bench-overhead: $(STAMP)
	$(BIN)/python scripts/bench_fit_overhead.py

# Where a whole train run's time goes, by kind of fit (DATASETS= one or both real datasets).
bench-run-seconds: $(STAMP)
	$(BIN)/python scripts/bench_run_seconds.py $(DATASETS)

server: $(STAMP)
	$(LOCAL_PREFECT) $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT)

# seqcast worker is Prefect's process worker in a loop that stops on SIGTERM (prefect worker
# start in Prefect 3.8 goes on polling): once its running flow runs finish, at once when idle.
worker: $(STAMP)
	$(LOCAL_PREFECT) exec $(BIN)/seqcast worker --pool $(POOL)

deploy: $(STAMP)
	$(LOCAL_PREFECT) $(BIN)/prefect work-pool inspect $(POOL) >/dev/null 2>&1 || \
		$(LOCAL_PREFECT) $(BIN)/prefect work-pool create $(POOL) --type process
	$(LOCAL_PREFECT) $(BIN)/prefect --no-prompt deploy --all

# The MLflow UI over the local tracking store of $(OUT) (runs, metrics, the model registry).
MLFLOW_PORT ?= 5000
mlflow: $(STAMP)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath $(OUT))/mlflow.db \
		--host 127.0.0.1 --port $(MLFLOW_PORT)

sample: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

clean:
	rm -rf $(OUT) site .pytest_cache .ruff_cache .mypy_cache
