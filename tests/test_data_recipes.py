"data_recipes/nine_types.py: pairs for every type, exact records, a corrupt input skipped, resume, bad arguments."
import importlib.util, json, subprocess, sys
from rrlib.data.datasets import embedded_images
from rrlib.degradations import replay
from rrlib.degradations.types import TYPES
from rrlib.io import load_image, save_image


def _recipe(root):
    spec = importlib.util.spec_from_file_location('nine_types', root / 'data_recipes' / 'nine_types.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod); return mod


def _clean(tmp_path):
    d = tmp_path / 'clean'; d.mkdir()
    for name in ('astronaut', 'coffee'): save_image(embedded_images(8)[name][0], d / f'{name}.png')
    (d / 'broken.jpg').write_bytes(b'\xff\xd8\xff not a jpeg')
    return d


def test_pairs_records_and_resume(root, tmp_path, capsys):
    nine, clean, out = _recipe(root), _clean(tmp_path), tmp_path / 'out'
    assert nine.main(['--clean', str(clean), '--out', str(out), '--per-type', '2', '--severity', '0.3', '0.9']) == 0
    assert 'broken.jpg' in capsys.readouterr().err, "the corrupt image is reported"
    rows = [json.loads(l) for l in (out / 'pairs.jsonl').read_text().splitlines()]
    assert len(rows) == 2 * len(TYPES) * 2 and {r['type'] for r in rows} == set(TYPES)
    assert all(0.3 <= r['severity'] <= 0.9 and r['instruction'] for r in rows)
    assert len({r['severity'] for r in rows}) > len(TYPES), "severities are drawn, not fixed"
    for r in rows[::5]:  # the record replays the LQ up to the PNG's 8 bits
        rec = json.loads((out / r['lq'].replace('/lq/', '/records/')).with_suffix('.json').read_text())
        lq, hq = load_image(out / r['lq']), load_image(out / r['hq'])
        assert lq.shape == hq.shape and (replay(rec, hq).clamp(0, 1) - lq).abs().max() <= 0.5 / 255 + 1e-6, r
    # resume: a missing LQ is made again, identical; the others are not rewritten
    victim = out / rows[3]['lq']; before = victim.read_bytes(); victim.unlink()
    kept = out / rows[0]['lq']; t0 = kept.stat().st_mtime_ns
    assert nine.main(['--clean', str(clean), '--out', str(out), '--per-type', '2', '--severity', '0.3', '0.9']) == 0
    assert victim.read_bytes() == before and kept.stat().st_mtime_ns == t0
    assert [json.loads(l) for l in (out / 'pairs.jsonl').read_text().splitlines()] == rows


def test_bad_arguments_are_one_line(root, tmp_path):
    script = str(root / 'data_recipes' / 'nine_types.py')
    for args, msg in ((['--types', 'snow'], "unknown degradation types ['snow']"), (['--severity', '0.8', '0.2'], 'need 0 <= LO <= HI <= 1')):
        r = subprocess.run([sys.executable, script, '--clean', 'embedded', '--out', str(tmp_path / 'o'), *args], capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith('error: ') and msg in lines[0], r.stderr
