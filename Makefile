# channelstudy: the analysis as a DAG. `make report` runs the main job, `make test` all tests.
# Both create .venv (pinned by requirements/constraints.txt) when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SEED ?= 20240611
FIRMS ?= 15000
RAW := data/raw
INTERIM := data/interim
TRUTH := $(INTERIM)/truth
PROCESSED := data/processed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
HTML := $(patsubst notebooks/%.ipynb,reports/html/%.html,$(NOTEBOOKS))
CS := $(BIN)/channelstudy
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
.PHONY: help venv data build analyze validate power report notebooks test test-fast lint lab clean clean-data golden bench mutation

help: ## list the targets
	@echo "channelstudy - make targets:"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'
	@echo "Variables: SEED=$(SEED) FIRMS=$(FIRMS) PYTHON=$(PYTHON)"

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name channelstudy --display-name "Python (channelstudy)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with pinned dependencies and the `channelstudy` Jupyter kernel

# simulate only when the raw folder has no manifest: a researcher's own data/raw is never overwritten
$(RAW)/sources.yml: | $(STAMP)
	$(CS) simulate --out $(RAW) --truth-out $(TRUTH) --seed $(SEED) --firms $(FIRMS)

data: $(RAW)/sources.yml ## simulate the embedded default data into data/raw (if it has no sources.yml)

RAW_FILES := $(wildcard $(RAW)/*.csv $(RAW)/*.xlsx $(RAW)/*.xls $(RAW)/*.json $(RAW)/*.sav $(RAW)/*.parquet)
$(PROCESSED)/firms.parquet: $(RAW)/sources.yml $(RAW_FILES) | $(STAMP)
	$(CS) build --raw $(RAW) --out $(PROCESSED)

build: $(PROCESSED)/firms.parquet ## clean, validate and link data/raw into data/processed

$(PROCESSED)/segments.parquet: $(PROCESSED)/firms.parquet | $(STAMP)
	$(CS) analyze --processed $(PROCESSED) --tables reports/tables --margins $(RAW)

analyze: $(PROCESSED)/segments.parquet ## segments, survey weights, business-model clusters, hypotheses H0-H9

VALIDATE_SEEDS ?= 1000
VALIDATE_FIRMS ?= 3000
VALIDATE_MODE ?= truth
VALIDATE_REPLICATE_SEEDS ?= 200
validate: $(STAMP) ## method validation: 1,000 worlds (200 with replicate SEs) + 1,000-world H0 loop, exact CIs, provenance (slow; not in `make test`)
	nice $(CS) validate --seeds $(VALIDATE_SEEDS) --firms $(VALIDATE_FIRMS) --mode $(VALIDATE_MODE) --workers 2 \
		--replicate-seeds $(VALIDATE_REPLICATE_SEEDS) --h0-worlds 1000 --h0-firms 3000 --tables reports/tables

POWER_SEEDS ?= 50
power: $(STAMP) ## power and MDE of H2-H9 under Holm over effect sizes x responses per wave (slow)
	nice $(CS) power --seeds $(POWER_SEEDS) --workers 2 --tables reports/tables

# Notebooks run through papermill (channelstudy.report.render): executed copies in reports/notebooks/,
# HTML in reports/html/ (generated readings shown without their code), then reports/index.html.
RENDER := $(BIN)/python -m channelstudy.report.render

# jobs of `make report` (and notebooks executed at a time in a group; each in its own kernel)
JOBS ?= 2

# Notebooks run in three groups, one render process each: starting Python, papermill and nbconvert
# costs about 4 CPU s a process.  A group waits only for what its notebooks read, so that `make -j2`
# runs the first two beside simulate -> build -> analyze:
#   08 the real files, 09 and 10 the committed validation and power tables: nothing of the world;
#   00 the simulated truth and 01 the processed tables: the build;
#   every other notebook (a new one too) the outputs of analyze, two at a time.
nb_html = $(patsubst %,reports/html/%.html,$(1))
nb_src = $(patsubst %,notebooks/%.ipynb,$(1))
NB_FIXED := 08-real-registers 09-method-validation 10-study-design
NB_BUILT := 00-study-data 01-data-quality
NB_ANALYZED := $(filter-out $(NB_FIXED) $(NB_BUILT),$(patsubst notebooks/%.ipynb,%,$(NOTEBOOKS)))

# $(call render_group,NOTEBOOKS[,OPTIONS]): one render process for a group, the index left for the end
define render_group
	@mkdir -p reports/html reports/figures
	$(RENDER) --out reports --no-index $(2) $(call nb_src,$(1))
endef

$(call nb_html,$(NB_FIXED)) &: $(call nb_src,$(NB_FIXED)) | $(STAMP)
	$(call render_group,$(NB_FIXED))

$(call nb_html,$(NB_BUILT)) &: $(call nb_src,$(NB_BUILT)) $(PROCESSED)/firms.parquet | $(STAMP)
	$(call render_group,$(NB_BUILT))

$(call nb_html,$(NB_ANALYZED)) &: $(call nb_src,$(NB_ANALYZED)) $(PROCESSED)/segments.parquet | $(STAMP)
	$(call render_group,$(NB_ANALYZED),--jobs $(JOBS))

notebooks: $(HTML) ## execute every notebook: figures -> reports/figures, HTML -> reports/html

ifeq ($(RAW),data/raw)
report: | $(STAMP) ## the main job end to end (RAW=folder: on your own raw folder, into reports/runs/NAME)
	@$(MAKE) --no-print-directory -j$(JOBS) notebooks
	$(RENDER) --out reports --index-only
	@echo "report: reports/index.html (figures in reports/figures/, notebooks in reports/html/)"
else
# your own data: RAW=folder with a sources.yml; nothing is written into RAW or data/.
# OUT (default reports/runs/<folder name>) receives processed/, tables/, figures/, notebooks/, html/, index.html.
# RAW_TRUTH=folder: the simulator's truth of a simulated RAW (enables the planted-truth sections).
OUT ?= reports/runs/$(notdir $(abspath $(RAW)))
RAW_TRUTH ?=
report: $(STAMP) ## the main job end to end (RAW=folder: on your own raw folder, into reports/runs/NAME)
	@test -f "$(RAW)/sources.yml" || { echo "error: $(RAW)/sources.yml not found: describe your files in a sources.yml (README, 'Your own data')"; exit 2; }
	$(CS) build --raw "$(RAW)" --out "$(OUT)/processed"
	$(CS) analyze --processed "$(OUT)/processed" --tables "$(OUT)/tables" --margins "$(RAW)"
	$(RENDER) --jobs $(JOBS) --out "$(OUT)" --raw "$(RAW)" --processed "$(OUT)/processed" --tables "$(OUT)/tables" \
		--figures "$(OUT)/figures" $(if $(RAW_TRUTH),--truth "$(RAW_TRUTH)",--truth "$(OUT)/no-truth")
	@echo "report: $(OUT)/index.html"
endif

lint: $(STAMP) ## ruff
	$(BIN)/ruff check channelstudy tests

test: $(STAMP) $(PROCESSED)/segments.parquet ## all tests: lint, unit tests, notebooks with nbval
	$(BIN)/ruff check channelstudy tests
	$(BIN)/python -m pytest -n 2 -q tests
	$(BIN)/python -m pytest -q --doctest-modules channelstudy
	$(BIN)/python -m pytest -q --nbval-lax --nbval-kernel-name channelstudy \
		--nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks

test-fast: $(STAMP) ## unit tests only, without the slow ones
	$(BIN)/python -m pytest -n 2 -q -m "not slow" tests

bench: $(STAMP) ## register-scale benchmarks: build stages and peak memory at 15k/150k/1.5M firms, linkage vs splink (slow; not in `make test`)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[bench]"
	$(BIN)/python benchmarks/bench_scale.py

mutation: $(STAMP) ## mutation testing of the core decision modules (slow; not part of `make test`): reports/tables/mutation*.csv
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev,mutation]"
	nice $(BIN)/python tests/mutation.py $(MODULES)

golden: $(STAMP) ## record the default world's output hashes (after an intended output change; say why in the commit)
	$(BIN)/python notebooks/test_golden_outputs.py --update

lab: $(STAMP) $(PROCESSED)/segments.parquet ## open JupyterLab with the `channelstudy` kernel
	$(BIN)/jupyter lab notebooks

clean: ## remove reports and processed data (keeps data/raw and .venv)
	rm -rf $(PROCESSED)/*.parquet $(PROCESSED)/*.json $(PROCESSED)/*.csv $(PROCESSED)/CODEBOOK.md \
		reports/html/*.html reports/figures/*.png reports/figures/*.svg reports/figures/*.pdf \
		reports/figures/*.json reports/figures/FIGURES.md reports/notebooks/*.ipynb reports/index.html
	find reports/tables \( -name '*.csv' -o -name '*.provenance.json' \) ! -name 'method_validation*' ! -name 'power*' ! -name 'mutation*' ! -name 'benchmarks*' ! -name 'clustering_offmodel*' -delete
	rm -rf $(INTERIM)/real

clean-data: clean ## also remove the simulated raw data and truth
	find $(RAW) -mindepth 1 ! -name README.md -delete
	rm -rf $(TRUTH)
