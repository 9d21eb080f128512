"""Sharded strategies (issue 15): the accelerate configs in configs/accelerate/ parse as accelerate configs, and what
happens when each is asked for on this machine (CPUs only, no DeepSpeed package).

* DDP: runs on 2 CPU processes (tests/test_train_multiprocess.py::test_ddp_config_file).
* FSDP: cannot run on CPU processes. accelerate 1.15 turns `DistributedType.FSDP` on only for multi-accelerator
  processes (accelerate/state.py): with `ACCELERATE_USE_CPU=1` an FSDP config silently gives DDP on gloo
  (`test_accelerate_does_not_shard_on_cpu` shows it), so `rrlib train` refuses FSDP without GPUs in one sentence.
* DeepSpeed ZeRO-2/3: the package is not installed here; accelerate's launcher stops, and `rrlib train` started with
  the launcher's environment says so in one sentence."""
import json, os, socket, subprocess, sys
from pathlib import Path
import pytest
from accelerate.commands.config.config_args import load_config_from_file
from accelerate.utils import DistributedType

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs' / 'accelerate'
TINY = dict(max_steps=1, batch_size=2, crop_size=32, n_heldout=2, num_inference_steps=1, restore_photos=False)


def _env(**kw) -> dict:
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE', **kw}
    for k in ('ACCELERATE_USE_DEEPSPEED', 'ACCELERATE_USE_FSDP', 'ACCELERATE_USE_CPU'):
        if k not in kw: env.pop(k, None)
    return env


def _port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _launch(config:str, *args, env=None, timeout=240):
    cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--config_file', str(CONFIGS / config), '--num_processes', '2',
           '--main_process_port', str(_port()), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env or _env(), capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize('name,kind,extra', [('ddp', DistributedType.MULTI_GPU, None),
                                             ('fsdp', DistributedType.FSDP, ('fsdp_config', 'fsdp_version', 2)),
                                             ('deepspeed_zero2', DistributedType.DEEPSPEED, ('deepspeed_config', 'zero_stage', 2)),
                                             ('deepspeed_zero3', DistributedType.DEEPSPEED, ('deepspeed_config', 'zero_stage', 3))])
def test_config_parses_as_an_accelerate_config(name, kind, extra):
    c = load_config_from_file(str(CONFIGS / f'{name}.yaml'))
    assert c.distributed_type == kind and c.num_machines == 1 and c.num_processes == 2 and c.use_cpu is False
    assert c.mixed_precision == 'no'  # rrlib's RunConfig sets the precision
    if extra: assert getattr(c, extra[0])[extra[1]] == extra[2]


@pytest.fixture
def tiny_config(tmp_path) -> Path:
    p = tmp_path / 'tiny.json'; p.write_text(json.dumps({**TINY, 'output_dir': str(tmp_path / 'run')})); return p


def _rrlib_train(config:Path, **env):
    return subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--config', str(config)], cwd=ROOT, env=_env(**env),
                          capture_output=True, text=True, timeout=240)


def _has(mod): 
    import importlib.util
    return importlib.util.find_spec(mod) is not None


@pytest.mark.skipif(_has('deepspeed'), reason='DeepSpeed is installed')
def test_rrlib_train_says_deepspeed_is_missing(tiny_config, tmp_path):
    r = _rrlib_train(tiny_config, ACCELERATE_USE_DEEPSPEED='true')  # what `accelerate launch` sets for a DEEPSPEED config
    assert r.returncode == 2, r.stderr[-2000:]
    lines = [l for l in r.stderr.splitlines() if l.startswith('rrlib train: error:')]
    assert len(lines) == 1 and 'DeepSpeed was asked for' in lines[0] and 'not installed' in lines[0], r.stderr[-2000:]
    assert 'Traceback' not in r.stderr and not (tmp_path / 'run').exists()  # stopped before anything ran or was written


@pytest.mark.skipif(_has('deepspeed'), reason='DeepSpeed is installed')
@pytest.mark.parametrize('config', ['deepspeed_zero2.yaml', 'deepspeed_zero3.yaml'])
def test_accelerate_launch_of_deepspeed_configs_stops(config, tiny_config):
    r = _launch(config, '-m', 'rrlib', 'train', '--config', str(tiny_config), timeout=120)
    assert r.returncode != 0 and 'DeepSpeed is not installed' in r.stderr, r.stderr[-2000:]  # accelerate's launcher, before rrlib starts


def test_accelerate_does_not_shard_on_cpu(tmp_path):
    "Why FSDP cannot run here: under ACCELERATE_USE_CPU=1 accelerate 1.15 turns an FSDP config into DDP on gloo."
    script = tmp_path / 'kind.py'
    script.write_text("import os, torch\nfrom accelerate import Accelerator\na = Accelerator()\n"
                      "m = a.prepare(torch.nn.Linear(4, 4))\n"
                      f"open(f'{tmp_path}/kind{{a.process_index}}.txt', 'w').write(' '.join(map(str, (a.distributed_type, "
                      "os.environ.get('ACCELERATE_USE_FSDP'), type(m).__name__))))\n")
    r = _launch('fsdp.yaml', str(script), env=_env(ACCELERATE_USE_CPU='1'), timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    for rank in (0, 1):  # the launcher set ACCELERATE_USE_FSDP, yet each process got plain DDP, nothing sharded
        assert (tmp_path / f'kind{rank}.txt').read_text() == 'DistributedType.MULTI_CPU true DistributedDataParallel'


def test_rrlib_train_refuses_fsdp_on_cpu(tiny_config, tmp_path):
    r = _launch('fsdp.yaml', '-m', 'rrlib', 'train', '--config', str(tiny_config), env=_env(ACCELERATE_USE_CPU='1'))
    assert r.returncode != 0, r.stdout[-1000:]
    lines = [l for l in r.stderr.splitlines() if l.startswith('rrlib train: error:')]
    assert len(lines) == 2 and all('FSDP was asked for' in l for l in lines), r.stderr[-3000:]  # one sentence from each process
    assert not (tmp_path / 'run').exists()
