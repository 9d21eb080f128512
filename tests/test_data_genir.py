"GenIR end to end on the embedded tiny SDXL: a manifest the trainer trains from; seeded resume; an unreadable clean image reported."
import json, subprocess, sys
from rrlib.io import save_image
from rrlib.data.datasets import embedded_images

ARGS = ['--size', '32', '--n-samples', '8', '--finetune-steps', '3', '--steps', '3', '--threshold', '0']


def _genir(root, *args):
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'genir.py'), *map(str, args)], capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_genir_manifest_trains_and_resumes(root, tmp_path):
    clean = tmp_path / 'clean'
    for n in ('astronaut', 'coffee', 'chelsea'): save_image(embedded_images(4)[n][0], clean / f'{n}.png')
    (clean / 'broken.png').write_bytes(b'not a png')
    out = tmp_path / 'genir'
    r = _genir(root, out, '--n', '3', '--clean', clean, *ARGS)
    assert 'broken.png' in r.stdout + r.stderr
    rep = json.loads((out / 'report.json').read_text())
    assert (rep['generated'], rep['kept']) == (3, 3) and rep['classifier_train_accuracy'] >= 0
    first = (out / 'images' / '000001.png').read_bytes(); (out / 'images' / '000001.png').write_bytes(b'cut')
    _genir(root, out, '--n', '3', '--clean', clean, *ARGS)
    rep = json.loads((out / 'report.json').read_text())
    assert (rep['generated'], rep['kept_on_disk'], rep['loss_first_last']) == (1, 2, None), "resumed: learned prompts reused"
    assert (out / 'images' / '000001.png').read_bytes() == first, "seeded: the same image again"
    t = subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--set', 'method=dra', '--set', f'data={out / "manifest.jsonl"}',
                        '--set', f'output_dir={tmp_path / "run"}', '--set', 'max_steps=2', '--set', 'batch_size=2', '--set', 'crop_size=32',
                        '--set', 'n_heldout=2', '--set', 'num_inference_steps=1', '--set', 'save_every=2'], capture_output=True, text=True, timeout=600, cwd=root)
    assert t.returncode == 0, t.stderr[-3000:]
    h = subprocess.run([sys.executable, str(root / 'data_recipes' / 'genir.py'), '--help'], capture_output=True, text=True, cwd=root)
    assert h.returncode == 0 and 'eq. 1' in h.stdout and '--omega' in h.stdout
