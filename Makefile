# The README's commands. Each target creates .venv and installs what it needs on a fresh clone.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp
DEMO   ?= demo-output
CHROMIUM = /usr/bin/chromium

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Error: $(PYTHON) not found — install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,scale]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ktlo demo --out $(DEMO)

# The browser tests drive Debian's Chromium (Playwright's own browser download does not work here).
$(CHROMIUM):
	@command -v apt-get >/dev/null 2>&1 || { echo "Error: $(CHROMIUM) is missing — install Chromium there (Debian: apt-get install chromium)"; exit 1; }
	$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y -qq chromium >/dev/null

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -n auto --dist loadscope --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/git_ingest.py $(or $(REPO),.)
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/health.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
