# The README's commands. `make run` and `make test` work on a fresh machine: they install uv
# if it is missing and create the environment from the committed lock before doing anything.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
SCENARIO ?= bank-tiny
STAGES ?=
export DAGSTER_HOME ?= $(CURDIR)/data/dagster

.PHONY: setup run test test-spark lint dev bench

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen $(SYNC_EXTRAS) --quiet --compile-bytecode
	@$(MAKE) --silent --no-print-directory $(DBT_MANIFEST)

# dagster-dbt builds the warehouse assets from dbt's manifest, so Dagster definitions cannot load
# without it: `dbt parse` again whenever a file or folder of the dbt project changes (a deleted
# model changes only its folder).
DBT_MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project \( -name target -o -name logs -o -name dbt_packages \) -prune \
	-o -print)
$(DBT_MANIFEST): $(DBT_FILES)
	$(UV) run python -m orchestration.defs.warehouse

run: setup
	$(UV) run cdp run

test: setup
	$(UV) run pytest

# Optional: the staging and core models on Apache Spark against the DuckDB build
# (docs/scaling-out.md). Setup installs the `spark` extra (pyspark, dbt-spark) on top of the
# lock's default set; the next plain `make setup` removes it again. Needs Java 17+.
test-spark: SYNC_EXTRAS = --extra spark
test-spark: setup
	$(UV) run pytest -m spark tests/portability

lint: setup
	$(UV) run ruff format --check .
	$(UV) run ruff check .
	$(UV) run sqlfluff lint dbt_project

dev: setup
	$(UV) run python -m orchestration.instance
	$(UV) run dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

bench: setup
	$(UV) run python -m benchmarks.run $(SCENARIO) $(STAGES)
