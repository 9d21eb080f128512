"""Training across processes (issue 15): `rrlib train` under `accelerate launch` with two CPU processes (DDP on gloo),
per-rank data, synchronised weights, one run folder (TensorBoard included), exact resume with EMA; gradient accumulation in
optimiser steps; the CLI.

Two CPU processes come from `ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2`: accelerate 1.15's
`--cpu --num_processes 2` starts a single process without mpirun (see `test_cpu_launcher_starts_one_process`)."""
import json, os, shutil, socket, subprocess, sys
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(max_steps=4, batch_size=4, crop_size=32, n_heldout=2, num_inference_steps=1, save_every=2, ema_decay=0.9, restore_photos=False,
            log_with='tensorboard', log_images_every=2)


def _env(debug=None) -> dict:
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE', 'ACCELERATE_USE_CPU': 'true'}
    env.pop('RRLIB_TRAIN_DEBUG', None)
    if debug: env['RRLIB_TRAIN_DEBUG'] = str(debug)
    return env


def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _launch(config:Path, out:Path, debug:Path, n:int=2, launcher=('--multi_gpu',), **sets):
    cmd = [sys.executable, '-m', 'accelerate.commands.launch', *launcher, '--num_processes', str(n), '--num_machines', '1',
           '--mixed_precision', 'no', '--dynamo_backend', 'no', '--main_process_port', str(_free_port()),
           '-m', 'rrlib', 'train', '--config', str(config), '--set', f'output_dir={out}', *(f'--set={k}={v}' for k, v in sets.items())]
    r = subprocess.run(cmd, cwd=ROOT, env=_env(debug), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return r


def _jsonl(p:Path) -> list: return [json.loads(l) for l in p.read_text().splitlines()]


def _files(d:Path) -> set: return {str(p.relative_to(d)) for p in d.rglob('*') if not {'checkpoints', 'logs'} & set(p.relative_to(d).parts)}


@pytest.fixture(scope='module')
def two_process_run(tmp_path_factory):
    "One uninterrupted two-process run of 4 optimiser steps (EMA on), with the per-rank debug records."
    d = tmp_path_factory.mktemp('mp')
    (d / 'tiny.json').write_text(json.dumps(TINY))
    r = _launch(d / 'tiny.json', d / 'run', d / 'debug')
    return d, r


def test_two_processes_train_on_different_crops(two_process_run):
    d, _ = two_process_run
    crops = [_jsonl(d / 'debug' / f'crops_rank{r}.jsonl') for r in (0, 1)]
    for c in crops:
        assert [x['step'] for x in c] == [0, 1, 2, 3], c                  # 4 optimiser steps, one micro-batch each
        assert all(x['n'] == 2 for x in c)                               # batch_size 4 split over 2 processes
    h0, h1 = ({x['step']: x['hq'] for x in c} for c in crops)
    assert all(h0[s] != h1[s] for s in range(4)), "both ranks drew the same crops"
    assert not set(h0.values()) & set(h1.values())


def test_weights_identical_on_both_ranks_after_every_step(two_process_run):
    d, _ = two_process_run
    w0, w1 = (_jsonl(d / 'debug' / f'weights_rank{r}.jsonl') for r in (0, 1))
    assert [x['step'] for x in w0] == [1, 2, 3, 4]
    assert w0 == w1, "the ranks' weights (or EMAs) diverged: gradients not synchronised"
    assert len({x['weights'] for x in w0}) == 4, "the weights did not change every step"


def test_one_run_folder(two_process_run, tmp_path):
    "The run folder of two processes is the one of a single process started in-process (the files of `run`), written once."
    d, r = two_process_run
    run_dir = d / 'run'
    files = _files(run_dir)
    for f in ('config.json', 'adapter/config.json', 'adapter/diffusion_pytorch_model.safetensors', 'metrics.json', 'loss.csv', 'loss.png',
              'before_after.png'):
        assert f in files, (f, sorted(files))
    assert sorted(p.name for p in (run_dir / 'checkpoints').iterdir()) == ['step_000002', 'step_000004']
    assert not list(run_dir.rglob('.tmp*')), "a temporary file or checkpoint left behind"
    loss = (run_dir / 'loss.csv').read_text().splitlines()
    assert loss[0].startswith('step,loss') and len(loss) == 5, loss   # one header, one row per step: one writer
    cfg = json.loads((run_dir / 'config.json').read_text())
    assert {k: cfg[k] for k in TINY} == TINY and cfg['output_dir'] == str(run_dir)
    assert r.stdout.count('"psnr_restored"') == 1                     # the summary line comes from the main process only
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = list((run_dir / 'logs').glob('events.*'))
    assert len(events) == 1, events                                    # one TensorBoard writer
    ev = EventAccumulator(str(events[0]), size_guidance={'images': 0}).Reload()
    assert [e.step for e in ev.Scalars('loss')] == [1, 2, 3, 4] and {'lr', 'grad_norm', 'step_time'} <= set(ev.Tags()['scalars'])
    assert [e.step for e in ev.Images('val/restored')] == [2, 4] and {'val/lq', 'val/clean'} <= set(ev.Tags()['images'])
    # the same files as a single process in-process, through the CLI's own entry
    from rrlib.recipes.train import train_main
    one = tmp_path / 'one'; (tmp_path / 'tiny.json').write_text(json.dumps({**TINY, 'max_steps': 1, 'save_every': 1}))
    assert train_main(['--config', str(tmp_path / 'tiny.json'), '--set', f'output_dir={one}']) == 0
    assert _files(one) == files


def test_interrupted_two_process_run_resumes_to_the_same_weights(two_process_run, tmp_path):
    "A two-process run killed after the checkpoint of step 2 (its folder holds only that checkpoint) resumes to step 4."
    d, _ = two_process_run
    cut = tmp_path / 'cut'; (cut / 'checkpoints').mkdir(parents=True)
    shutil.copytree(d / 'run' / 'checkpoints' / 'step_000002', cut / 'checkpoints' / 'step_000002')
    _launch(d / 'tiny.json', cut, tmp_path / 'debug')
    w0, w1 = (_jsonl(tmp_path / 'debug' / f'weights_rank{r}.jsonl') for r in (0, 1))
    assert [x['step'] for x in w0] == [3, 4] and w0 == w1
    full = _jsonl(d / 'debug' / 'weights_rank0.jsonl')
    assert w0 == full[2:], "the resumed run's raw weights and EMA differ from the uninterrupted run's"
    from safetensors.torch import load_file
    a, b = (load_file(str(p / 'adapter' / 'diffusion_pytorch_model.safetensors')) for p in (d / 'run', cut))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)   # the saved adapter (the EMA) too


def test_cpu_launcher_starts_one_process(tmp_path):
    "`accelerate launch --cpu --num_processes 2` runs ONE process (accelerate 1.15 spreads CPU processes only through mpirun): rrlib warns."
    cfg = tmp_path / 'tiny.json'; cfg.write_text(json.dumps({**TINY, 'max_steps': 1, 'save_every': 1, 'ema_decay': None, 'log_with': None}))
    r = _launch(cfg, tmp_path / 'run', tmp_path / 'debug', launcher=('--cpu',))
    assert 'starts ONE process' in r.stderr
    assert not (tmp_path / 'debug' / 'weights_rank1.jsonl').exists()
    assert _jsonl(tmp_path / 'debug' / 'crops_rank0.jsonl')[-1]['n'] == 4   # the whole batch on one process


def test_accumulation_counts_optimiser_steps_in_the_run(tmp_path, monkeypatch):
    "One process, accumulation 2: each optimiser step trains on two micro-batches of batch_size / 2 crops."
    from rrlib.recipes.train import RunConfig, run
    monkeypatch.setenv('RRLIB_TRAIN_DEBUG', str(tmp_path / 'debug'))
    r = run(RunConfig(**{**TINY, 'max_steps': 2, 'ema_decay': None, 'log_with': None}, gradient_accumulation_steps=2, output_dir=str(tmp_path / 'run')))
    assert r.state.step == 2 and r.metrics['train_steps'] == 2
    crops = _jsonl(tmp_path / 'debug' / 'crops_rank0.jsonl')
    assert [c['step'] for c in crops] == [0, 1, 2, 3] and all(c['n'] == 2 for c in crops)
    assert [w['step'] for w in _jsonl(tmp_path / 'debug' / 'weights_rank0.jsonl')] == [1, 2]


def test_accumulation_2x8_equals_batch_16():
    "Gradient accumulation 2 × batch 8 gives the weights of batch 16 (AdamW, clipping, 5 optimiser steps), within float tolerance."
    import tempfile
    from rrlib.training.trainer import train, TrainConfig
    X, W = torch.randn(5 * 16, 6, generator=torch.Generator().manual_seed(0)), torch.randn(1, 6)
    Y = X @ W.T + 0.1 * torch.randn(len(X), 1, generator=torch.Generator().manual_seed(1))
    def model():
        torch.manual_seed(0); return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    def loss(n):  # micro-batch `step` holds samples [n·step, n·(step + 1)): the accumulating run's two halves of each batch of 16
        def step_loss(step, g, module):
            x, y = X[n * step:n * (step + 1)], Y[n * step:n * (step + 1)]
            return {'loss': ((module(x) - y) ** 2).mean()}
        return step_loss
    with tempfile.TemporaryDirectory() as d:
        big, acc = model(), model()
        train(big, loss(16), TrainConfig(5, lr=0.05, max_grad_norm=0.5, progress=False), Path(d) / 'big')
        train(acc, loss(8), TrainConfig(5, lr=0.05, max_grad_norm=0.5, gradient_accumulation_steps=2, progress=False), Path(d) / 'acc')
        untrained = model()
    for a, b, u in zip(big.parameters(), acc.parameters(), untrained.parameters()):
        assert not torch.allclose(a, u)
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_cli_errors_are_one_line(tmp_path):
    r = subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--set', 'max_step=3'], cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count('\n') == 1, r.stderr
    assert "unknown RunConfig field 'max_step'; valid: method, base_model" in r.stderr
    (tmp_path / 'c.yaml').write_text('max_steps: 7\nlr: 1e-4\n')
    r = subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--config', str(tmp_path / 'c.yaml'), '--set', 'alpha=0.5', '--print-config'],
                       cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout); assert (c['max_steps'], c['lr'], c['alpha']) == (7, 1e-4, 0.5)


def test_ddp_config_file(tmp_path):
    "configs/accelerate/ddp.yaml starts two DDP processes (on CPUs with ACCELERATE_USE_CPU=1) whose weights agree."
    cfg = tmp_path / 'tiny.json'; cfg.write_text(json.dumps({**TINY, 'max_steps': 1, 'save_every': 1, 'log_with': None}))
    _launch(cfg, tmp_path / 'run', tmp_path / 'debug', launcher=('--config_file', str(ROOT / 'configs' / 'accelerate' / 'ddp.yaml')))
    w0, w1 = (_jsonl(tmp_path / 'debug' / f'weights_rank{r}.jsonl') for r in (0, 1))
    assert w0 == w1 and [x['step'] for x in w0] == [1]
