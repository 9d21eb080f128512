"Papermill notebooks keep their `parameters` cell tag through nbdev-clean (otherwise `-p` is silently ignored)."
import json
import pytest

PAPERMILL_NOTEBOOKS = ['train.ipynb', '40_training/03_pretrain.ipynb', 'ablations/fluxir.ipynb', 'ablations/dra.ipynb',
                       'ablations/realrestorer.ipynb', 'ablations/dreamclear.ipynb', 'ablations/compare.ipynb',
                       'figures/fluxir_timestep_density.ipynb', 'figures/dra_rss_weight.ipynb',
                       'figures/ablation_tables.ipynb', 'figures/realrestorer_fs_curve.ipynb']


@pytest.mark.parametrize('name', PAPERMILL_NOTEBOOKS)
def test_one_parameters_cell(root, name):
    nb = json.loads((root / 'nbs' / name).read_text())
    tagged = [c for c in nb['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"


def test_train_parameters_are_the_run_config(root):
    "nbs/train.ipynb's parameters cell names exactly `RunConfig`'s fields, in order, with the same defaults."
    import ast, inspect
    from dataclasses import fields, MISSING
    from rrlib.recipes.train import RunConfig
    nb = json.loads((root / 'nbs' / 'train.ipynb').read_text())
    cell = next(c for c in nb['cells'] if 'parameters' in c.get('metadata', {}).get('tags', []))
    assigns = [n for n in ast.parse(''.join(cell['source'])).body if isinstance(n, ast.Assign)]
    params = {a.targets[0].id: ast.literal_eval(a.value) for a in assigns}
    assert list(params) == [f.name for f in fields(RunConfig)]
    defaults = {f.name: f.default if f.default is not MISSING else f.default_factory() for f in fields(RunConfig)}
    assert params == defaults
    # and the same comment on each knob
    source = {l.strip().split(':')[0]: l for l in inspect.getsource(RunConfig).splitlines() if ':' in l}
    for line in ''.join(cell['source']).splitlines():
        name, _, comment = line.partition('#')
        name = name.split('=')[0].strip()
        assert comment.strip() == source[name].partition(' # ')[2].strip(), name
