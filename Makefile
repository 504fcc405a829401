# The whole set-up is `make run` (pipeline on the bundled samples) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RAW    ?= data/raw
OUT    ?= data/curated

.PHONY: install run test eval bench bench-memory cookbook dictionary clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Byte-compiles newsflow's own modules as pip does an installed package's: an editable install leaves that to the
# first import, and where Python may not write it (PYTHONDONTWRITEBYTECODE, common in containers; a read-only
# checkout) every run compiled them again (0.2 s here). Only what changed is compiled again.
install: $(STAMP)
	@$(BIN)/python -m compileall -q newsflow transforms expectations flows

run: install
	$(BIN)/newsflow run $(RAW) --curated $(OUT)
	$(BIN)/newsflow query --curated $(OUT) \
	  "SELECT published_month, count(*) AS articles, sum(word_count) AS words, \
	          string_agg(DISTINCT source_format, ',' ORDER BY source_format) AS formats \
	   FROM articles GROUP BY ALL ORDER BY published_month"
	@echo "Next: $(BIN)/newsflow query \"SQL\" --curated $(OUT)  (or 'source $(BIN)/activate' to type plain newsflow and duckdb)"

test: install
	$(BIN)/python -m pytest -q

eval: install
	$(BIN)/newsflow eval all

# The benchmark: the first 5,000 Reuters-21578 articles (its .sgm files only), the whole pipeline beside bare nlp.pipe.
BENCH_RAW   ?= ../shared/corpora/reuters21578
BENCH_LIMIT ?= 5000
bench: install
	$(BIN)/newsflow bench $(BENCH_RAW) --limit $(BENCH_LIMIT) --exclude '*.txt' --exclude '*.dtd' --exclude '*.md'

# Memory against corpus size: a fresh `newsflow run` over the first 2,000, 5,000 and 10,000 Reuters articles and all
# of them (about 15 minutes here), the peak memory of each run's processes.
bench-memory: install
	$(BIN)/newsflow bench $(BENCH_RAW) --exclude '*.txt' --exclude '*.dtd' --exclude '*.md' \
	  --memory-at 2000 --memory-at 5000 --memory-at 10000 --memory-at all

# The README's cookbook queries as written, each with its rows and seconds, on a curated folder (OUT=...: the
# acceptance figure is on the output of all Reuters-21578 bodies).
cookbook: install
	$(BIN)/python -m newsflow.docs README.md Cookbook | $(BIN)/newsflow query --timer --curated $(OUT) -

dictionary: install
	$(BIN)/newsflow dictionary --write README.md

clean:
	rm -rf $(OUT) .pytest_cache
