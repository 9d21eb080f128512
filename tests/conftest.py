import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='session')
def root() -> Path: return ROOT

@pytest.fixture(scope='session')
def venv_bin() -> Path:
    "The bin folder of the interpreter running the tests (papermill and rrlib live beside it)."
    return Path(sys.executable).parent
