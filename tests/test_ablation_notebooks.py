"The ablation notebooks run through papermill with `-p smoke True` and write their tables and plots."
import subprocess
import pytest


def _papermill(venv_bin, notebook, tmp_path, cwd, *params) -> list[str]:
    "The papermill command that runs `notebook` into tmp_path/executed.ipynb from `cwd`, with `-p NAME VALUE` pairs."
    return [str(venv_bin / 'papermill'), str(notebook), str(tmp_path / 'executed.ipynb'), '--cwd', str(cwd), *params]


def _run(cmd, timeout:int=900):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize('name', ['diagnosis'])
def test_smoke_run_writes_table_and_plot(root, venv_bin, tmp_path, name):
    out = tmp_path / name
    cmd = _papermill(venv_bin, root / 'nbs' / 'ablations' / f'{name}.ipynb', tmp_path, root, '-p', 'smoke', 'True', '-p', 'output_dir', str(out))
    _run(cmd, timeout=900)
    table = (out / 'table.md').read_text()
    assert '| input ' in table and '| fluxir ' in table and 'lr_psnr' in table
    assert list(out.glob('*.png')), "no plot written"
    assert 'Chosen:' in (out / 'sampling_choice.md').read_text()  # the sampling chosen on validation crops
    # a second run finds the rows trained and only scores them again
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "'fluxir': 'done'" in (tmp_path / 'executed.ipynb').read_text()


@pytest.mark.parametrize('name', ['fluxir_timestep_density', 'dra_rss_weight'])
def test_figure_notebook_smoke_run(root, venv_bin, tmp_path, name):
    "A figure notebook checks its numbers against the paper's equation (an assert in the notebook) and writes its table and plot."
    out = tmp_path / name
    cmd = _papermill(venv_bin, root / 'nbs' / 'figures' / f'{name}.ipynb', tmp_path, root / 'nbs' / 'figures', '-p', 'smoke', 'True', '-p', 'output_dir', str(out))
    _run(cmd, timeout=600)
    assert (out / f'{name}.png').stat().st_size > 10_000
    table = (out / f'{name}.md').read_text()
    assert {'fluxir_timestep_density': '| P(t = 0) |', 'dra_rss_weight': '| 0.8 | 19 |'}[name] in table


SWEEP_ABLATIONS = {  # notebook -> the variants its smoke run trains (each a sweep point over nbs/train.ipynb)
    'fluxir': ['rank-full', 'logit_normal-alpha0', 'no-offsets-no-text-se', 'shared-mlp'],
    'dra': ['dra', 'no-lora'],
    'realrestorer': ['one-stage', 'real-only', 'two-stage'],
    'dreamclear': ['experts-1', 'no-reference'],
}


@pytest.mark.parametrize('name', list(SWEEP_ABLATIONS))
def test_sweep_ablation_smoke_run(root, venv_bin, tmp_path, name):
    "A paper's ablation notebook: its smoke variants trained through `rrlib sweep`, one row each in table.md, a plot."
    import pandas as pd
    out = tmp_path / name
    cmd = _papermill(venv_bin, root / 'nbs' / 'ablations' / f'{name}.ipynb', tmp_path, root, '-p', 'smoke', 'True', '-p', 'output_dir', str(out))
    _run(cmd, timeout=900)
    table = pd.read_csv(out / 'table.csv', index_col=0)
    assert list(table.index) == ['input', *SWEEP_ABLATIONS[name]]
    assert table.psnr.notna().all() and table.note.iloc[1:].isna().all(), "every smoke variant finished"
    assert all(f'| {v} ' in (out / 'table.md').read_text() for v in SWEEP_ABLATIONS[name])
    assert (out / 'ablation.png').stat().st_size > 10_000
    s = pd.read_csv(out / 'summary.csv', index_col='point')
    assert (s.train_steps == 2).all() and all((out / v / 'metrics.json').is_file() for v in SWEEP_ABLATIONS[name])
    if name == 'dra':  # the RSS grid, restored again from the trained `dra` variant
        rss = pd.read_csv(out / 'rss.csv', index_col=0)
        assert list(rss.index) == ['no RSS', 'w 0.05, a 0', 'w 0.05, a 0.8'] and (out / 'rss.png').is_file()
        assert abs(rss.psnr['w 0.05, a 0.8'] - s.psnr_restored['dra']) < 0.01   # the main job restores with the paper's w, a
        assert '## RSS grid' in (out / 'table.md').read_text()


def test_compare_smoke_run(root, venv_bin, tmp_path):
    "The five methods at one budget: one row each (and the input) in table.md / table.csv, the perception-distortion plot, figures_dir."
    import pandas as pd
    out, figs = tmp_path / 'compare', tmp_path / 'figures'
    cmd = _papermill(venv_bin, root / 'nbs' / 'ablations' / 'compare.ipynb', tmp_path, root, '-p', 'smoke', 'True', '-p', 'output_dir', str(out), '-p', 'figures_dir', str(figs))
    _run(cmd, timeout=900)
    table = pd.read_csv(out / 'table.csv', index_col=0)
    assert list(table.index) == ['input', 'fluxir', 'dra', 'dreamclear', 'editing', 'controlnet']
    assert table.psnr.notna().all() and (table.trainable_M.iloc[1:] > 0).all() and table.train_minutes.notna().all()
    assert len(set(table.trainable_M.iloc[1:])) == 5, "each method trains its own parameters"
    md = (out / 'table.md').read_text()
    assert "'max_steps': 2" in md and '| controlnet ' in md
    assert (out / 'perception_distortion.png').stat().st_size > 10_000
    assert (figs / 'compare.md').read_text().count('| dreamclear ') == 1 and (figs / 'compare.png').is_file()


def test_ablation_tables_smoke_run(root, venv_bin, tmp_path):
    "With no sweep folder, the smoke run generates the FluxIR ablation's smoke sweep, then plots and tabulates it from there."
    import pandas as pd
    sweeps, out = tmp_path / 'sweeps', tmp_path / 'figures'
    cmd = _papermill(venv_bin, root / 'nbs' / 'figures' / 'ablation_tables.ipynb', tmp_path, root / 'nbs' / 'figures', '-p', 'smoke', 'True', '-p', 'sweeps_dir', str(sweeps), '-p', 'output_dir', str(out))
    _run(cmd, timeout=900)
    sweep = pd.read_csv(sweeps / 'ablation-fluxir' / 'table.csv', index_col=0)  # what the figure read: the ablation notebook's table
    assert list(sweep.index) == ['input', 'rank-full', 'shared-mlp'] and sweep.psnr.notna().all()
    md = (out / 'ablation_tables.md').read_text()
    assert '| shared-mlp ' in md and '| rank-full ' in md and 'SMOKE' in md and f"{sweep.psnr['shared-mlp']:.4g}" in md
    assert (out / 'ablation_fluxir.png').stat().st_size > 10_000


def test_realrestorer_fs_curve_smoke_run(root, venv_bin, tmp_path):
    "The smoke run trains a tiny two-stage run validated by the offline FS proxy, then plots its validation log against steps with the stage boundary."
    import json, pandas as pd
    run, out = tmp_path / 'run', tmp_path / 'figures'
    cmd = _papermill(venv_bin, root / 'nbs' / 'figures' / 'realrestorer_fs_curve.ipynb', tmp_path, root / 'nbs' / 'figures', '-p', 'smoke', 'True', '-p', 'run_dir', str(run), '-p', 'output_dir', str(out))
    _run(cmd, timeout=900)
    m, val = json.loads((run / 'metrics.json').read_text()), pd.read_csv(run / 'validation.csv')
    assert m['recipe'] == 'two-stage' and m['stage1_steps'] == 4 and list(val.step) == list(range(1, 9))
    md = (out / 'realrestorer_fs_curve.md').read_text()
    assert md.count('| 1 (synthetic) |') == 4 and md.count('| 2 (real mixed in) |') == 4 and 'a proxy: no VLM' in md
    assert m['val_metric'] == 'proxy_fs' and val.metric.between(0, 0.8).all()  # FS = 0.2 (1 − LPS) RS lies in [0, 0.2 · 4]
    assert (out / 'realrestorer_fs_curve.png').stat().st_size > 10_000
