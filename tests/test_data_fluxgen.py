"FluxGen end to end on the embedded tiny Flux: generation, IQA selection (offline metrics here), a manifest the trainer trains from; resume and unreadable images."
import json, subprocess, sys
import pandas as pd
from rrlib.data.manifests import Manifest

ARGS = ['--n', '4', '--height', '96', '--width', '96', '--steps', '2', '--keep', '0.75']


def _fluxgen(root, *args):
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'fluxgen.py'), *args], capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_fluxgen_writes_a_manifest_that_trains(root, tmp_path):
    out = tmp_path / 'fluxgen'
    r = _fluxgen(root, str(out), *ARGS)
    rep = json.loads((out / 'report.json').read_text())
    assert rep['generated'] == 4 and rep['metrics'] == ['brisque-libsvm', 'niqe'] and 'weights are missing' in rep['metrics_why']
    assert rep['prompt'] == '' and 'kept of 4' in r.stdout
    m = Manifest(out / 'manifest.jsonl')
    assert len(m) == rep['kept'] >= 2 and all(rec['lq'] is None for rec in m)
    assert (out / 'selection' / 'dropped.csv').read_text().count('\n') == 1 + rep['dropped']
    # resume: nothing generated again; an unreadable image is reported and made again, identical to the first time
    first = (out / 'images' / '000002.png').read_bytes()
    (out / 'images' / '000002.png').write_bytes(b'truncated')
    r = _fluxgen(root, str(out), *ARGS)
    rep = json.loads((out / 'report.json').read_text())
    assert (rep['generated'], rep['kept'] + rep['dropped'], rep['regenerated']) == (1, 4, 1) and '000002.png' in r.stdout + r.stderr
    assert (out / 'images' / '000002.png').read_bytes() == first, "seeded: the same image again"
    # the manifest trains (clean images degraded on the fly)
    t = subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--set', f'data={out / "manifest.jsonl"}', '--set', f'output_dir={tmp_path / "run"}',
                        '--set', 'max_steps=2', '--set', 'batch_size=2', '--set', 'crop_size=32', '--set', 'n_heldout=2',
                        '--set', 'num_inference_steps=1', '--set', 'save_every=2'], capture_output=True, text=True, timeout=600, cwd=root)
    assert t.returncode == 0, t.stderr[-3000:]
    assert len(pd.read_csv(tmp_path / 'run' / 'loss.csv')) == 2


def test_fluxgen_from_a_diffusers_folder_and_help(root, tmp_path):
    from rrlib.priors.flux import make_tiny_flux_folder
    folder = make_tiny_flux_folder(tmp_path / 'FLUX.1-dev')  # FLUX.1-dev's layout, tiny random components
    _fluxgen(root, str(tmp_path / 'out'), '--base-model', str(folder), '--n', '2', '--height', '32', '--width', '32', '--steps', '1',
             '--metrics', 'brisque-libsvm', '--keep', '1')
    rep = json.loads((tmp_path / 'out' / 'report.json').read_text())
    assert rep['guidance_scale'] == 4.0 and rep['kept'] == 2 and rep['metrics_why'] == 'chosen by the caller'
    h = subprocess.run([sys.executable, str(root / 'data_recipes' / 'fluxgen.py'), '--help'], capture_output=True, text=True, cwd=root)
    assert h.returncode == 0 and '--base-model' in h.stdout and '1024' in h.stdout
    bad = subprocess.run([sys.executable, str(root / 'data_recipes' / 'fluxgen.py'), str(tmp_path / 'x'), '--n', '1', '--base-model', str(tmp_path / 'none')],
                         capture_output=True, text=True, cwd=root)
    assert bad.returncode == 2 and 'model_index.json' in bad.stderr and 'Traceback' not in bad.stderr
