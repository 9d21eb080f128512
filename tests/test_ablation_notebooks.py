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
