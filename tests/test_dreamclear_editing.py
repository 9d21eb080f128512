"DreamClear and the editing fine-tune end to end: short papermill runs of nbs/train.ipynb, and `rrlib params` on the real configs."
import contextlib, io, json, subprocess
import pytest
from rrlib.methods.params import params_main

SHORT = ['-p', 'max_steps', '4', '-p', 'batch_size', '2', '-p', 'n_heldout', '2', '-p', 'num_inference_steps', '2',
         '-p', 'save_every', '2', '-p', 'crop_size', '32', '-p', 'restore_photos', 'False']


def _papermill(root, venv_bin, out_dir, *params):
    cmd = [str(venv_bin / 'papermill'), str(root / 'nbs' / 'train.ipynb'), str(out_dir / 'executed.ipynb'),
           '--cwd', str(root / 'nbs'), '-p', 'output_dir', str(out_dir), *SHORT, *params]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads((out_dir / 'metrics.json').read_text())


def test_dreamclear_short_run(root, venv_bin, tmp_path):
    m = _papermill(root, venv_bin, tmp_path, '-p', 'method', 'dreamclear',
                   '-y', 'method_params: {reference_steps: 2, num_control_layers: 2}')
    assert m['train_steps'] == 4 and m['recipe'] == 'one-stage' and 5 < m['psnr_lq'] < 60
    cfg = json.loads((tmp_path / 'adapter' / 'config.json').read_text())
    assert cfg['_class_name'] == 'DreamClearAdapter' and cfg['num_control_layers'] == 2
    assert (tmp_path / 'reference_restorer' / 'diffusion_pytorch_model.safetensors').is_file()
    assert set(open(tmp_path / 'loss.csv').readline().strip().split(',')) == {'step', 'loss', 'mse', 'vb'}


def test_editing_two_stage_run_on_a_kontext_folder(root, venv_bin, tmp_path):
    "The real path (a FLUX.1-Kontext-dev-layout folder: VAE, CLIP + T5 instructions) with the two-stage recipe."
    from rrlib.priors.kontext import make_tiny_kontext_folder
    folder = make_tiny_kontext_folder(tmp_path / 'FLUX.1-Kontext-dev')
    out = tmp_path / 'run'; out.mkdir()
    m = _papermill(root, venv_bin, out, '-p', 'method', 'editing', '-p', 'base_model', str(folder),
                   '-p', 'n_val', '2', '-p', 'val_inference_steps', '1', '-p', 'validate_every', '1', '-p', 'patience', '1',
                   '-p', 'n_real_pairs', '4')
    assert m['recipe'] == 'two-stage' and m['stage1_steps'] == 2 and 'STAND-IN' in m['real_data']
    val = (out / 'validation.csv').read_text().splitlines()
    assert val[0] == 'step,metric' and len(val) - 1 == m['train_steps']     # validated every step until it stopped
    assert 1 <= m['best_step'] <= m['train_steps'] and (out / 'best' / 'model.safetensors').is_file()
    lrs = [float(l.split(',')[-1]) for l in (out / 'loss.csv').read_text().splitlines()[1:]]
    assert lrs[0] == lrs[1] and (len(lrs) < 4 or lrs[3] < lrs[2])          # constant in stage 1, decaying in stage 2
    assert json.loads((out / 'adapter' / 'config.json').read_text())['_class_name'] == 'FluxTransformer2DModel'


@pytest.mark.parametrize('method,base,key,expected', [('dreamclear', 'pixart-alpha-1024', 'total', 2.2e9),
                                                      ('editing', 'flux1-kontext-dev', 'total', 11.9e9)])
def test_params_cli_on_real_configs(method, base, key, expected):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf): params_main([method, '--base', base, '--json'])
    c = json.loads(buf.getvalue())
    assert abs(c[key] / expected - 1) < 0.01 and c['trainable'] < c['total']
