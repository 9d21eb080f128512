"""`rrlib.recipes.launch.launch_train` (nbs/80_recipes/07_launch.ipynb, issue 15): the main job on two local CPU processes
through accelerate's `notebook_launcher` gives the run of `accelerate launch -m rrlib train` with the same config: the same
per-rank crops, the same weights on both ranks after every step, the same run-folder files and the same adapter."""
import json, os, subprocess, sys
from pathlib import Path
import torch
from test_train_multiprocess import ROOT, TINY, _env, _files, _jsonl, _launch

CFG = {**TINY, 'max_steps': 2, 'save_every': 2, 'log_images_every': 2}


def test_notebook_launcher_run_is_the_accelerate_launch_run(tmp_path):
    (tmp_path / 'tiny.json').write_text(json.dumps(CFG))
    code = ("from rrlib.recipes.launch import launch_train; "
            f"print('RUN', launch_train({str(tmp_path / 'tiny.json')!r}, 2, [{'output_dir=' + str(tmp_path / 'nl')!r}]))")
    env = {**_env(tmp_path / 'debug_nl')}; env.pop('ACCELERATE_USE_CPU')  # launch_train sets it for its processes itself
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert f"RUN {tmp_path / 'nl'}" in r.stdout
    _launch(tmp_path / 'tiny.json', tmp_path / 'al', tmp_path / 'debug_al')
    for rank in (0, 1):
        for kind in ('crops', 'weights'):
            a, b = (_jsonl(tmp_path / d / f'{kind}_rank{rank}.jsonl') for d in ('debug_nl', 'debug_al'))
            assert a == b and len(a) == 2, (kind, rank, a, b)
    c0, c1 = (_jsonl(tmp_path / 'debug_nl' / f'crops_rank{r}.jsonl') for r in (0, 1))
    assert all(x['hq'] != y['hq'] for x, y in zip(c0, c1))                      # two processes, each its own crops
    assert _jsonl(tmp_path / 'debug_nl' / 'weights_rank0.jsonl') == _jsonl(tmp_path / 'debug_nl' / 'weights_rank1.jsonl')
    assert _files(tmp_path / 'nl') == _files(tmp_path / 'al') and 'metrics.json' in _files(tmp_path / 'nl')
    assert len((tmp_path / 'nl' / 'loss.csv').read_text().splitlines()) == 3  # one writer: header + 2 steps
    from safetensors.torch import load_file
    a, b = (load_file(str(tmp_path / d / 'adapter' / 'diffusion_pytorch_model.safetensors')) for d in ('nl', 'al'))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
