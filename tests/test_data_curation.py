"Real-pair curation end to end: given and generated references, the CLIP and severity filters, the report, resume, and a manifest the trainer trains from."
import json, subprocess, sys
from pathlib import Path
import torch
from rrlib.io import save_image
from rrlib.data.datasets import embedded_images
from rrlib.degradations import degrade
from rrlib.degradations.types import get_type


def tiny_clip(folder):
    from transformers import CLIPConfig, CLIPModel, CLIPImageProcessor
    torch.manual_seed(0)
    cfg = CLIPConfig(text_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, vocab_size=64),
                     vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=8),
                     projection_dim=16)
    CLIPModel(cfg).save_pretrained(folder)
    CLIPImageProcessor(size={'shortest_edge': 32}, crop_size={'height': 32, 'width': 32}).save_pretrained(folder)
    return folder


def _photos(d:Path):
    ims = embedded_images(4)
    for t, names in (('rain', ['astronaut', 'coffee', 'chelsea']), ('noise', ['rocket', 'motorcycle'])):
        for n in names:
            x = ims[n][0][..., :96, :96]
            save_image(degrade(x, get_type(t, 0.9), generator=0)[0], d / 'photos' / t / f'{n}.png')
            save_image(x, d / 'refs' / t / f'{n}.png')
    (d / 'photos' / 'rain' / 'broken.png').write_bytes(b'not a png')


def _curate(root, *args):
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'curate_real_pairs.py'), *map(str, args)], capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_curation_with_references_trains(root, tmp_path):
    _photos(tmp_path); clip = tiny_clip(tmp_path / 'clip')
    _curate(root, tmp_path / 'photos', tmp_path / 'out', '--references', tmp_path / 'refs', '--clip', clip, '--clip-threshold', '-1',
            '--max-photo-score', '5', '--min-reference-score', '1')
    rep = json.loads((tmp_path / 'out' / 'report.json').read_text())
    assert (rep['photos'], rep['kept'], rep['judge']) == (6, 5, 'offline-proxy-v2') and 'unreadable' in rep['dropped']['rain/broken.png'][0]
    m = [json.loads(l) for l in (tmp_path / 'out' / 'manifest.jsonl').read_text().splitlines()]
    assert {x['type'] for x in m} == {'rain', 'noise'} and all(x['real'] and 'Remove the' in x['instruction'] for x in m)
    # a strict severity filter drops every pair, each with its reason
    _curate(root, tmp_path / 'photos', tmp_path / 'strict', '--references', tmp_path / 'refs', '--clip', clip, '--clip-threshold', '-1',
            '--max-photo-score', '0')
    rep = json.loads((tmp_path / 'strict' / 'report.json').read_text())
    assert rep['kept'] == 0 and sum('too little' in ' '.join(w) for w in rep['dropped'].values()) == 5
    # the manifest trains (one-stage: it holds real pairs only)
    t = subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--set', 'method=editing', '--set', 'recipe=one-stage', '--set', f'data={tmp_path / "out" / "manifest.jsonl"}',
                        '--set', f'output_dir={tmp_path / "run"}', '--set', 'max_steps=2', '--set', 'batch_size=2', '--set', 'crop_size=32',
                        '--set', 'n_heldout=2', '--set', 'num_inference_steps=1', '--set', 'save_every=2'], capture_output=True, text=True, timeout=600, cwd=root)
    assert t.returncode == 0, t.stderr[-3000:]


def test_generated_references_resume_and_errors(root, tmp_path):
    _photos(tmp_path); clip = tiny_clip(tmp_path / 'clip')
    args = [tmp_path / 'photos', tmp_path / 'gen', '--clip', clip, '--clip-threshold', '-1', '--max-photo-score', '5', '--min-reference-score', '1', '--steps', '1']
    _curate(root, *args)
    refs = sorted(p.relative_to(tmp_path / 'gen' / 'references').as_posix() for p in (tmp_path / 'gen' / 'references').rglob('*.png'))
    assert refs == ['noise/motorcycle.png', 'noise/rocket.png', 'rain/astronaut.png', 'rain/chelsea.png', 'rain/coffee.png']
    m = [json.loads(l) for l in (tmp_path / 'gen' / 'manifest.jsonl').read_text().splitlines()]
    assert all(x['hq'].startswith('references/') for x in m)
    lines = (tmp_path / 'gen' / 'decisions.jsonl').read_text()
    _curate(root, *args)  # resume: nothing decided again
    assert (tmp_path / 'gen' / 'decisions.jsonl').read_text() == lines
    h = subprocess.run([sys.executable, str(root / 'data_recipes' / 'curate_real_pairs.py'), '--help'], capture_output=True, text=True, cwd=root)
    assert h.returncode == 0 and '--references' in h.stdout and '--judge' in h.stdout
    bad = subprocess.run([sys.executable, str(root / 'data_recipes' / 'curate_real_pairs.py'), str(tmp_path / 'photos'), str(tmp_path / 'x'),
                          '--clip', str(tmp_path / 'nope')], capture_output=True, text=True, cwd=root)
    assert bad.returncode == 2 and 'local CLIP model folder' in bad.stderr and 'Traceback' not in bad.stderr
