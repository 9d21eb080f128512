"Training from the latent cache: the same loss as training from the manifest's images, for the same seed and batches."
import json, subprocess, sys
import pandas as pd
import torch
from test_data_manifests import nine_types


def _train(root, out, data, *sets):
    cmd = [sys.executable, '-m', 'rrlib', 'train', '--set', f'data={data}', '--set', f'output_dir={out}', '--set', 'method=fluxir',
           '--set', 'max_steps=4', '--set', 'batch_size=4', '--set', 'n_heldout=4', '--set', 'num_inference_steps=2',
           '--set', 'save_every=2', '--set', 'crop_size=32', *sets]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_cached_training_gives_the_images_loss(root, tmp_path):
    pairs = nine_types(root, tmp_path / 'nine', ('rain', 'noise'))
    (tmp_path / 'nine' / 'noise' / 'lq' / 'coffee_0.png').write_bytes(b'broken')  # an unreadable LQ: reported, left out
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'cache_latents.py'), str(pairs), str(tmp_path / 'cache'),
                        '--shard-size', '8'], capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0 and 'coffee_0.png' in r.stderr and '31 pairs cached' in r.stdout, r.stdout + r.stderr[-2000:]
    index = json.loads((tmp_path / 'cache' / 'index.json').read_text())
    assert len(index['shards']) == 4 and len(index['skipped']) == 1
    # resume: a second run writes nothing new
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / 'cache').glob('shard-*')}
    subprocess.run([sys.executable, str(root / 'data_recipes' / 'cache_latents.py'), str(pairs), str(tmp_path / 'cache'), '--shard-size', '8'],
                   capture_output=True, text=True, timeout=600, cwd=root, check=True)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / 'cache').glob('shard-*')} == mtimes
    # the manifest without the broken pair, and its cache: one training run each, same seed
    good = [l for l in pairs.read_text().splitlines() if 'coffee_0.png' not in l or 'noise' not in l]
    (tmp_path / 'nine' / 'good.jsonl').write_text('\n'.join(good) + '\n')
    _train(root, tmp_path / 'from_images', tmp_path / 'nine' / 'good.jsonl')
    _train(root, tmp_path / 'from_cache', tmp_path / 'cache')
    a, b = (pd.read_csv(tmp_path / d / 'loss.csv') for d in ('from_images', 'from_cache'))
    assert len(a) == 4 and a['loss'].notna().all()
    pd.testing.assert_frame_equal(a.drop(columns=[c for c in a if 'time' in c]), b.drop(columns=[c for c in b if 'time' in c]), rtol=1e-5)


def test_cache_refuses_another_codec_and_a_method_that_reads_pixels(root, tmp_path):
    pairs = nine_types(root, tmp_path / 'nine', ('rain',))
    for method, msg in (('fluxir', 'encoded with another codec'), ('dreamclear', 'reads the pixels')):
        subprocess.run([sys.executable, str(root / 'data_recipes' / 'cache_latents.py'), str(pairs), str(tmp_path / method), '--method', method],
                       capture_output=True, text=True, timeout=600, cwd=root, check=True)
        cmd = [sys.executable, '-m', 'rrlib', 'train', '--set', f'data={tmp_path / method}', '--set', f'output_dir={tmp_path / "r"}',
               '--set', 'max_steps=1', '--set', 'batch_size=2', '--set', 'crop_size=32', '--set', 'n_heldout=2', '--set', 'method=dreamclear']
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=root)
        assert r.returncode != 0 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]


def test_dra_from_the_cache_with_cached_captions_gives_the_images_loss(root, tmp_path):
    pairs = nine_types(root, tmp_path / 'nine', ('rain', 'haze'))
    lines = [json.loads(l) for l in pairs.read_text().splitlines()]
    for k, r in enumerate(lines): r['caption'] = f"a photo of {r['hq'].split('/')[-1][:-4]}" if k % 3 else ''
    cap = tmp_path / 'nine' / 'captioned.jsonl'; cap.write_text(''.join(json.dumps(r) + '\n' for r in lines))
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'cache_latents.py'), str(cap), str(tmp_path / 'cache'),
                        '--method', 'dra', '--captions'], capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stderr[-2000:]
    index = json.loads((tmp_path / 'cache' / 'index.json').read_text())
    assert len(index['texts']) == len({l['caption'] for l in lines if l['caption']})
    _train(root, tmp_path / 'from_images', cap, '--set', 'method=dra', '--set', 'method_params={p_lq_target: 0.5}')
    _train(root, tmp_path / 'from_cache', tmp_path / 'cache', '--set', 'method=dra', '--set', 'method_params={p_lq_target: 0.5}')
    a, b = (pd.read_csv(tmp_path / d / 'loss.csv') for d in ('from_images', 'from_cache'))
    pd.testing.assert_frame_equal(a.drop(columns=[c for c in a if 'time' in c]), b.drop(columns=[c for c in b if 'time' in c]), rtol=1e-5)
