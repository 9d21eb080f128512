"The ablation notebooks run through papermill with `-p smoke True` and write their tables and plots."
import subprocess
import pytest


@pytest.mark.parametrize('name', ['diagnosis'])
def test_smoke_run_writes_table_and_plot(root, venv_bin, tmp_path, name):
    out = tmp_path / name
    cmd = [str(venv_bin / 'papermill'), str(root / 'nbs' / 'ablations' / f'{name}.ipynb'), str(tmp_path / 'executed.ipynb'),
           '--cwd', str(root), '-p', 'smoke', 'True', '-p', 'output_dir', str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    table = (out / 'table.md').read_text()
    assert '| input ' in table and '| fluxir ' in table and 'lr_psnr' in table
    assert list(out.glob('*.png')), "no plot written"
    # a second run finds the rows trained and only scores them again
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "'fluxir': 'done'" in (tmp_path / 'executed.ipynb').read_text()


@pytest.mark.parametrize('name', ['fluxir_timestep_density', 'dra_rss_weight'])
def test_figure_notebook_smoke_run(root, venv_bin, tmp_path, name):
    "A figure notebook checks its numbers against the paper's equation (an assert in the notebook) and writes its table and plot."
    out = tmp_path / name
    cmd = [str(venv_bin / 'papermill'), str(root / 'nbs' / 'figures' / f'{name}.ipynb'), str(tmp_path / 'executed.ipynb'),
           '--cwd', str(root / 'nbs' / 'figures'), '-p', 'smoke', 'True', '-p', 'output_dir', str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / f'{name}.png').stat().st_size > 10_000
    table = (out / f'{name}.md').read_text()
    assert {'fluxir_timestep_density': '| P(t = 0) |', 'dra_rss_weight': '| 0.8 | 19 |'}[name] in table
