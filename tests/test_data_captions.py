"Captioning a manifest with a local VLM (a tiny random Qwen2-VL here): batched, every record captioned, the manifest trains DRA with them."
import json, subprocess, sys
from rrlib.data.manifests import Manifest
from test_data_manifests import nine_types


def test_caption_recipe_with_a_tiny_vlm(root, tmp_path):
    from rrlib.evaluation.realir import tiny_qwen2vl
    vlm = tiny_qwen2vl(tmp_path / 'vlm')  # its answers are noise, but real tokens decoded by the real processor
    pairs = nine_types(root, tmp_path / 'nine', ('noise',))
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'caption.py'), str(pairs), '--vlm', str(vlm), '--batch-size', '4',
                        '--max-new-tokens', '4', '--out', str(tmp_path / 'nine' / 'captioned.jsonl')], capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stderr[-3000:]
    assert '16 captioned' in r.stdout
    m = Manifest(tmp_path / 'nine' / 'captioned.jsonl')
    assert len(m) == 16 and all(isinstance(x['caption'], str) for x in m) and sum(bool(x['caption']) for x in m) >= 1
    assert m[0]['lq'] == Manifest(pairs)[0]['lq'] and m[0]['instruction'] == Manifest(pairs)[0]['instruction']
    assert len((tmp_path / 'nine' / 'captioned.captions.jsonl').read_text().splitlines()) == 16
    t = subprocess.run([sys.executable, '-m', 'rrlib', 'train', '--set', 'method=dra', '--set', f'data={tmp_path / "nine" / "captioned.jsonl"}',
                        '--set', f'output_dir={tmp_path / "run"}', '--set', 'max_steps=2', '--set', 'batch_size=2', '--set', 'crop_size=32',
                        '--set', 'n_heldout=2', '--set', 'num_inference_steps=1', '--set', 'save_every=2'], capture_output=True, text=True, timeout=600, cwd=root)
    assert t.returncode == 0, t.stderr[-3000:]
    bad = subprocess.run([sys.executable, str(root / 'data_recipes' / 'caption.py'), str(pairs), '--vlm', str(tmp_path / 'none')],
                         capture_output=True, text=True, cwd=root)
    assert bad.returncode == 2 and 'vision-language model folder' in bad.stderr and 'Traceback' not in bad.stderr
