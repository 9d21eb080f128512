"""The Slurm templates (configs/slurm/*.sbatch, issue 15): run as plain bash with RRLIB_DRY_RUN=1 and a job's
SLURM_* variables, each prints the `accelerate launch` command it would run; accelerate's own launch parser must accept
it with the right machine count, rank and process count, and `rrlib train` the arguments after `-m rrlib`.
No Slurm here: sbatch / srun themselves are not exercised."""
import json, os, re, subprocess, sys
from pathlib import Path
import pytest
from accelerate.commands.launch import launch_command_parser

ROOT = Path(__file__).resolve().parents[1]
SLURM = ROOT / 'configs' / 'slurm'


def _dry(template:str, *args, **env) -> list[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith('SLURM_')}
    r = subprocess.run(['bash', str(SLURM / template), *args], cwd=ROOT, capture_output=True, text=True, timeout=30,
                       env={**e, 'RRLIB_DRY_RUN': '1', 'RRLIB_ROOT': str(ROOT), **env})
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def _parsed(argv:list[str]):
    assert argv[:2] == ['accelerate', 'launch'], argv
    a = launch_command_parser().parse_args(argv[2:])
    assert a.module and a.training_script == 'rrlib' and a.training_script_args[0] == 'train'
    assert (ROOT / a.config_file).is_file()
    return a


def _rrlib_config(script_args:list[str]) -> dict:
    "What `rrlib train` makes of the arguments (its own parser and RunConfig, --print-config)."
    r = subprocess.run([sys.executable, '-m', 'rrlib', *script_args, '--print-config'], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


@pytest.fixture
def run_config(tmp_path) -> Path:
    p = tmp_path / 'run.json'; p.write_text(json.dumps({'max_steps': 7, 'method': 'fluxir'})); return p


def test_one_node_template(run_config, tmp_path):
    out = str(tmp_path / 'a run')  # a space: the arguments must survive as one
    argv = _dry('train_1node.sbatch', '--set', 'batch_size=32', '--set', f'output_dir={out}', CONFIG=str(run_config), SLURM_GPUS_ON_NODE='4')
    a = _parsed(argv)
    assert (a.num_machines, a.num_processes, a.config_file) == (1, 4, 'configs/accelerate/ddp.yaml')
    cfg = _rrlib_config(a.training_script_args)
    assert (cfg['max_steps'], cfg['method'], cfg['batch_size'], cfg['output_dir']) == (7, 'fluxir', 32, out)


@pytest.mark.parametrize('node', [0, 2])
def test_multinode_template(run_config, node):
    env = dict(CONFIG=str(run_config), SLURM_NNODES='3', SLURM_NODEID=str(node), SLURM_GPUS_ON_NODE='8', MAIN_ADDR='gpu-node-0',
               SLURM_JOB_ID='4242', ACCELERATE_CONFIG='configs/accelerate/fsdp.yaml')
    a = _parsed(_dry('train_multinode.sbatch', '--set', 'max_steps=9', **env))
    assert (a.num_machines, a.machine_rank, a.num_processes) == (3, node, 24)
    assert (a.main_process_ip, a.main_process_port, a.rdzv_backend, a.same_network) == ('gpu-node-0', 29500 + 4242 % 1000, 'static', True)
    assert a.config_file == 'configs/accelerate/fsdp.yaml'
    assert _rrlib_config(a.training_script_args)['max_steps'] == 9  # --set wins over the config file


@pytest.mark.parametrize('template', ['train_1node.sbatch', 'train_multinode.sbatch'])
def test_template_needs_a_config(template):
    r = subprocess.run(['bash', str(SLURM / template)], cwd=ROOT, capture_output=True, text=True, timeout=30,
                       env={**{k: v for k, v in os.environ.items() if k != 'CONFIG'}, 'RRLIB_DRY_RUN': '1', 'MAIN_ADDR': 'x', 'SLURM_NODEID': '0'})
    assert r.returncode != 0 and 'set CONFIG=' in r.stderr
    head = (SLURM / template).read_text()
    assert re.search(r'^#SBATCH --ntasks-per-node=1$', head, re.M) and re.search(r'^#SBATCH --gpus-per-node=\d+$', head, re.M)
