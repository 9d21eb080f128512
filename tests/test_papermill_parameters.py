"Papermill notebooks keep their `parameters` cell tag through nbdev-clean (otherwise `-p` is silently ignored)."
import json
import pytest

PAPERMILL_NOTEBOOKS = ['train.ipynb', '40_training/03_pretrain.ipynb']


@pytest.mark.parametrize('name', PAPERMILL_NOTEBOOKS)
def test_one_parameters_cell(root, name):
    nb = json.loads((root / 'nbs' / name).read_text())
    tagged = [c for c in nb['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"
