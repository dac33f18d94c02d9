# ccstudy — run `make` (or `make help`) to list the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
PARAMS ?= params/default.yaml

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The Spark KPI backend: PySpark (the [spark] extra) and a Java runtime (Debian's JRE 17 when java is missing).
$(SPARK_STAMP): $(STAMP)
	@command -v java >/dev/null 2>&1 || { echo "installing Java 17 for Spark (openjdk-17-jre-headless)"; \
	  (apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get \
	   -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null) \
	  || { echo "could not install Java: run 'apt-get install openjdk-17-jre-headless' as root"; exit 1; }; }
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	@touch $(SPARK_STAMP)

.PHONY: help install spark study run report validate test test-fast bench synth lint clean system-deps

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'

install: $(STAMP) system-deps ## Create .venv and install ccstudy with everything it needs

spark: $(SPARK_STAMP) ## Add the Spark KPI backend: PySpark (the [spark] extra) and Java 17 when missing

study: $(STAMP) system-deps ## Run the default study end to end: validate, analyse, render (PARAMS=... for another)
	$(BIN)/ccstudy study $(PARAMS)

run: $(STAMP) ## Run the analysis notebooks only (cached stages are skipped)
	$(BIN)/ccstudy run $(PARAMS)

report: $(STAMP) system-deps ## Render the reports from the results bundle
	$(BIN)/ccstudy render $(PARAMS)

validate: $(STAMP) ## Check the inputs only; exit 2 on problems
	$(BIN)/ccstudy validate $(PARAMS)

system-deps: ## Install the system packages the tests need (chromium, poppler-utils, fonts) when missing
	bash scripts/system-deps.sh

test: $(STAMP) system-deps $(SPARK_STAMP) ## Run the whole test suite (with the Spark extra its KPI tests need)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) system-deps ## Run the tests without the end-to-end runs
	$(BIN)/python -m pytest -q -m "not e2e"

bench: $(STAMP) ## Run the benchmarks (ratios against baselines measured in the same run)
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/stats.py
	$(BIN)/python benchmarks/intake.py
	$(BIN)/python benchmarks/render.py

synth: $(STAMP) ## Regenerate the default study's raw data (byte-identical for the seed)
	$(BIN)/ccstudy synth --out data/raw/default

lint: $(STAMP) ## Compile-check the sources and check notebooks carry no outputs
	$(BIN)/python -m compileall -q src tests benchmarks
	$(BIN)/python -m pytest -q tests/test_notebooks.py

clean: ## Remove generated outputs (data/processed, reports/_out)
	rm -rf data/processed/*/ reports/_out
