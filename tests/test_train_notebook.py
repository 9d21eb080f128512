"End-to-end: a short papermill run of nbs/train.ipynb writes a complete run folder."
import json, subprocess
import pytest
from rrlib.io import load_image
from rrlib.data.datasets import embedded_images
from rrlib.io import save_image

SHORT = ['-p', 'max_steps', '4', '-p', 'batch_size', '2', '-p', 'n_heldout', '4', '-p', 'num_inference_steps', '2',
         '-p', 'save_every', '2', '-p', 'crop_size', '32']


def _papermill(root, venv_bin, out_dir, *params):
    out_dir.mkdir(parents=True, exist_ok=True)
    nb_out = out_dir / 'executed.ipynb'
    cmd = [str(venv_bin / 'papermill'), str(root / 'nbs' / 'train.ipynb'), str(nb_out), '--cwd', str(root / 'nbs'),
           '-p', 'output_dir', str(out_dir), *SHORT, *params]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(nb_out.read_text())


def test_short_run_writes_run_folder(root, venv_bin, tmp_path):
    # the tiny prior's own codec named explicitly, and the real path's gradient checkpointing on the prior's blocks
    _papermill(root, venv_bin, tmp_path, '-p', 'codec', 'pixel-unshuffle:2', '-p', 'gradient_checkpointing', 'True')
    for f in ('config.json', 'adapter/config.json', 'adapter/diffusion_pytorch_model.safetensors', 'metrics.json',
              'loss.csv', 'loss.png', 'before_after.png', 'before_after_photos.png', 'heldout/lq/000.png',
              'heldout/restored/003.png', 'heldout/clean/003.png', 'heldout_photos/restored/coins.png'):
        assert (tmp_path / f).is_file(), f"missing {f}"
    m = json.loads((tmp_path / 'metrics.json').read_text())
    for k in ('psnr_lq', 'psnr_restored', 'ssim_lq', 'ssim_restored', 'lr_psnr_lq', 'lr_psnr_restored', 'colour_error_restored',
              'detail_ratio_restored'): assert isinstance(m[k], float) and m[k] == m[k]
    assert m['train_steps'] == 4 and 5 < m['psnr_lq'] < 60
    assert load_image(tmp_path / 'before_after.png').shape[1] == 3
    assert not list((tmp_path / 'adapter').glob('*.bin')), "safetensors only"
    assert json.loads((tmp_path / 'config.json').read_text())['codec'] == 'pixel-unshuffle:2'


def test_a_codec_the_prior_cannot_take_is_one_clear_error(root, venv_bin, tmp_path):
    cmd = [str(venv_bin / 'papermill'), str(root / 'nbs' / 'train.ipynb'), str(tmp_path / 'x.ipynb'), '--cwd', str(root / 'nbs'),
           '-p', 'output_dir', str(tmp_path), *SHORT, '-p', 'codec', 'pixel-unshuffle:4']
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode != 0 and 'the prior expects 12 channels at 1/2' in r.stderr


def test_data_folder_with_corrupt_and_16bit_rgba(root, venv_bin, tmp_path):
    import numpy as np, cv2
    data = tmp_path / 'clean'; data.mkdir()
    (data / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n' + b'truncated')
    a = (np.random.default_rng(0).random((48, 48, 4)) * 65535).astype(np.uint16); a[..., 3] = 40000
    cv2.imwrite(str(data / 'rgba16.png'), a)
    for name in ('astronaut', 'coffee'): save_image(embedded_images(4)[name][0], data / f'{name}.png')
    nb = _papermill(root, venv_bin, tmp_path / 'run', '-p', 'data', str(data))
    text = '\n'.join(''.join(o.get('text', '')) for c in nb['cells'] for o in c.get('outputs', []))
    assert 'corrupt.png' in text, "the corrupt file is reported in the run's output"
    assert 'rgba16.png' in text.split('training sources:')[1].split('\n')[0], "the 16-bit RGBA image is used for training"
    assert (tmp_path / 'run' / 'metrics.json').is_file()


def test_same_seed_same_run(root, venv_bin, tmp_path):
    "Two processes, one seed: the same adapter weights and the same metrics (torch's own start-up seed is random)."
    from safetensors.torch import load_file
    runs = [tmp_path / 'a', tmp_path / 'b']
    for r in runs: _papermill(root, venv_bin, r, '-p', 'seed', '7')
    wa, wb = (load_file(str(r / 'adapter' / 'diffusion_pytorch_model.safetensors')) for r in runs)
    assert wa.keys() == wb.keys() and all((wa[k] == wb[k]).all() for k in wa)
    ma, mb = (json.loads((r / 'metrics.json').read_text()) for r in runs)
    assert ma['psnr_restored'] == mb['psnr_restored'] and ma['ssim_restored'] == mb['ssim_restored']
