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


@pytest.fixture(scope='session')
def trained(tmp_path_factory):
    "One run folder, shared by the restore tests: a run folder of `rrlib.recipes.train` after 3 steps (tiny Flux, FluxIR of SE rank 4)."
    import json
    from rrlib.recipes.train import run, RunConfig
    out = tmp_path_factory.mktemp('run') / 'train'
    run(RunConfig(max_steps=3, n_heldout=2, batch_size=2, crop_size=32, num_inference_steps=1, save_every=100, restore_photos=False,
                  se_rank=4, output_dir=str(out)))
    assert (out / 'adapter' / 'config.json').is_file() and json.loads((out / 'config.json').read_text())['method'] == 'fluxir'
    return out
