"`rrlib sweep`: a 2×2 grid over nbs/train.ipynb with one failing point, skip-finished re-runs, the Slurm dry-run, submitit's local executor."
import json
import nbformat
import pandas as pd
from rrlib.cli import main
from rrlib.recipes.sweep import sweep

TINY = ['max_steps=2', 'batch_size=2', 'crop_size=32', 'n_heldout=2', 'num_inference_steps=1', 'restore_photos=False', 'save_every=100']


def test_grid_over_train_notebook(root, tmp_path, capsys):
    # batch_size 3 does not split into 2 micro-batches: that one point fails inside the run, the other three finish
    out = tmp_path / 'sweep'
    argv = ['sweep', str(root / 'nbs' / 'train.ipynb'), '--grid', 'batch_size=2,3', '--grid', 'gradient_accumulation_steps=1,2',
            '--out', str(out), '--workers', '2', '--cwd', str(root), *[a for s in TINY if 'batch_size' not in s for a in ('--set', s)]]
    assert main(argv) == 1, "a failed point makes the exit status 1"
    s = pd.read_csv(out / 'summary.csv', index_col='point')
    bad = 'batch_size-3_gradient_accumulation_steps-2'
    assert sorted(s.index) == sorted(['batch_size-2_gradient_accumulation_steps-1', 'batch_size-2_gradient_accumulation_steps-2',
                                      'batch_size-3_gradient_accumulation_steps-1', bad])
    assert (s.status == 'done').sum() == 3 and s.status[bad] == 'failed'
    assert 'does not split into 1 process(es) × 2 micro-batch(es)' in s.error[bad]
    assert (out / bad / 'error.txt').read_text().startswith('RRLibError: batch_size 3 does not split')
    done = s[s.status == 'done']
    assert done.train_steps.eq(2).all() and done.psnr_restored.notna().all()   # metrics.json of every finished point
    for n in done.index:
        assert (out / n / 'notebook.ipynb').is_file() and (out / n / 'adapter' / 'config.json').is_file()
        assert json.loads((out / n / 'config.json').read_text())['output_dir'] == str(out / n)
    assert json.loads((out / 'batch_size-3_gradient_accumulation_steps-1' / 'config.json').read_text())['batch_size'] == 3
    assert '| batch_size-2_gradient_accumulation_steps-1 |' in (out / 'summary.md').read_text()
    stamps = {n: (out / n / 'metrics.json').stat().st_mtime_ns for n in done.index}
    # a re-run skips the finished points and tries the failed one again
    assert main(argv) == 1
    s = pd.read_csv(out / 'summary.csv', index_col='point')
    assert (s.status == 'finished earlier').sum() == 3 and s.status[bad] == 'failed'
    assert stamps == {n: (out / n / 'metrics.json').stat().st_mtime_ns for n in done.index}
    assert '3 finished earlier, 1 to run' in capsys.readouterr().out


def test_slurm_dry_run_prints_the_sbatch_script(root, tmp_path, capsys):
    out = tmp_path / 'slurm'
    assert main(['sweep', str(root / 'nbs' / 'train.ipynb'), '--grid', 'se_rank=16,32,0', '--out', str(out), '--executor', 'slurm',
                 '--partition', 'gpu', '--gpus', '2', '--time', '720', '--workers', '2', '--set', 'max_steps=5', '--dry-run']) == 0
    printed = capsys.readouterr().out
    assert '#SBATCH' in printed and '#SBATCH --array=0-2%2' in printed and '#SBATCH --partition=gpu' in printed
    assert '#SBATCH --gpus-per-node=2' in printed and '#SBATCH --time=720' in printed
    assert 'se_rank-0: {"max_steps": 5, "se_rank": 0}' in printed
    assert not out.exists(), "a dry run writes nothing"


def _toy(path):
    nb = nbformat.v4.new_notebook(metadata={'kernelspec': {'name': 'python3', 'display_name': 'python3', 'language': 'python'}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1\nname = 'a'\noutput_dir = 'out'", metadata={'tags': ['parameters']}),
                nbformat.v4.new_code_cell("import json, pathlib\nassert x > 0, f'x must be positive, got {x}'\n"
                                          "(pathlib.Path(output_dir) / 'metrics.json').write_text(json.dumps({'double': 2 * x, 'name': name}))")]
    nbformat.write(nb, str(path)); return path


def test_submitit_local_executor_and_yaml_values(tmp_path, capsys):
    "The Slurm path (a submitit job array of `run_point`) on submitit's local executor; a notebook that is not train.ipynb takes YAML values."
    toy = _toy(tmp_path / 'toy.ipynb')
    t = sweep(toy, tmp_path / 'sub', grid={'x': [2, -1]}, sets={'name': 'b'}, executor='slurm', cluster='local', workers=2)
    assert list(t.status) == ['done', 'failed'] and list(t.double[:1]) == [4] and t.name['x-2'] == 'b'
    assert 'AssertionError: x must be positive, got -1' in t.error['x--1']
    assert (tmp_path / 'sub' / '_submitit').is_dir()
    assert main(['sweep', str(toy), '--grid', 'x=3,0.5', '--set', 'name=[1, 2]', '--out', str(tmp_path / 'yaml')]) == 0
    s = pd.read_csv(tmp_path / 'yaml' / 'summary.csv', index_col='point')
    assert s.double['x-3'] == 6 and s.double['x-0.5'] == 1.0 and s.name['x-3'] == '[1, 2]'   # YAML: int, float, a list


def test_slurm_missing_is_one_line(tmp_path, capsys):
    toy = _toy(tmp_path / 'toy.ipynb')
    assert main(['sweep', str(toy), '--grid', 'x=1', '--out', str(tmp_path / 's'), '--executor', 'slurm']) == 2
    err = capsys.readouterr().err
    assert err.startswith('rrlib sweep: error: the slurm executor is not available here') and err.count('\n') == 1
