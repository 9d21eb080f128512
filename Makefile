# rrlib — the README's commands. `make setup` once, then `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.rrlib-installed
LOCK    := constraints.txt
# OpenMP threads that spin-wait starve each other when the test workers share few cores
export OMP_WAIT_POLICY := PASSIVE

.PHONY: setup test check-clean nbtest pytest export readme upgrade docs default-adapter

# the pinned environment: every package at the version in $(LOCK), the versions the tests last passed with
setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -c $(LOCK) pip
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[dev,docs]"
	$(BIN)/pip check
	$(BIN)/python tools/lock.py check $(LOCK)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) 2>/dev/null \
		|| echo "no chromium: the docs browser test will skip; install it with: apt-get install -y chromium chromium-driver"
	touch $(STAMP)

# maintainers: a fresh .venv with the newest versions pyproject.toml allows, written into $(LOCK), then the tests.
# Commit $(LOCK) if they pass; if not, `git checkout $(LOCK) && make setup` goes back to the last lock.
upgrade:
	rm -rf $(VENV)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,docs]"
	$(BIN)/python tools/lock.py write $(LOCK)
	touch $(STAMP)
	$(MAKE) test

# notebooks clean, library and README in sync with them, notebook tests, pytest
test: $(STAMP) check-clean nbtest pytest

# the documentation site in _docs/, offline: notebooks processed (show_doc, #| hide) and executed (not train.ipynb, not
# slow/notest cells; cached in _proc/), Sphinx + myst-nb + furo, then every link checked (tools/docs.py)
docs: $(STAMP)
	$(BIN)/python tools/docs.py build

export: $(STAMP)
	$(BIN)/nbdev-export

readme: $(STAMP)
	$(BIN)/jupyter nbconvert --log-level=ERROR --to markdown --stdout nbs/index.ipynb > README.md

check-clean: $(STAMP)
	$(BIN)/nbdev-clean
	$(BIN)/nbdev-export
	$(BIN)/jupyter nbconvert --log-level=ERROR --to markdown --stdout nbs/index.ipynb > README.md
	@git status --porcelain -- nbs rrlib README.md | grep . && { echo "nbdev-clean / nbdev-export / README changed files above: run them and commit"; git --no-pager diff --stat -- nbs rrlib README.md; exit 1; } || echo "notebooks clean, library and README in sync"

nbtest: $(STAMP)
	$(BIN)/nbdev-test --timing

pytest: $(STAMP)
	$(BIN)/pytest -q tests

# the adapter that ships with rrlib (rrlib/assets/fluxir-default, used by `rrlib restore` without --adapter): the main
# job with its defaults, then copied into the package by rrlib.recipes.restore.ship_adapter; commit the folder after
default-adapter: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(BIN)/papermill nbs/train.ipynb /tmp/default-adapter.ipynb -p output_dir runs/default-adapter
	$(BIN)/python -c "from rrlib.recipes.restore import ship_adapter; print(ship_adapter('runs/default-adapter'))"
