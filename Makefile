# rrlib — the README's commands. `make setup` once, then `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.rrlib-installed
# OpenMP threads that spin-wait starve each other when the test workers share few cores
export OMP_WAIT_POLICY := PASSIVE

.PHONY: setup test check-clean nbtest pytest export readme

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# notebooks clean, library and README in sync with them, notebook tests, pytest
test: $(STAMP) check-clean nbtest pytest

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
