"`rrlib degrade` end to end: file and folder, records beside outputs, corrupt files skipped, resume, one-line errors."
import json, os, subprocess, sys
from pathlib import Path
import pytest
import torch
from rrlib.cli import main
from rrlib.io import load_image, save_image
from degrade_helpers import one_thread  # noqa: F401  (autouse fixture)


def _rrlib(*args, cwd=None):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, '-c', 'import sys; from rrlib.cli import main; sys.exit(main(sys.argv[1:]))', *args],
                          capture_output=True, text=True, env=env, cwd=cwd)


@pytest.fixture
def folder(tmp_path):
    from skimage.data import astronaut, coffee
    d = tmp_path / 'clean'; (d / 'sub').mkdir(parents=True)
    save_image(torch.from_numpy(astronaut()[::8, ::8].copy()).permute(2, 0, 1)[None].float() / 255, d / 'a.png')
    save_image(torch.from_numpy(coffee()[::8, ::8].copy()).permute(2, 0, 1)[None].float() / 255, d / 'sub' / 'b.jpg')
    (d / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\nnot an image')
    return d


def test_folder_preset_records_and_resume(folder, tmp_path):
    out = tmp_path / 'lq'
    r = _rrlib('degrade', str(folder), str(out), '--preset', 'realesrgan-x4plus', '--seed', '3')
    assert r.returncode == 0, r.stderr
    assert 'broken.png' in r.stderr and 'skipped' in r.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob('*')) == ['a.json', 'a.png', 'sub', 'sub/b.json', 'sub/b.png']
    rec = json.loads((out / 'a.json').read_text())
    assert rec['preset'] == 'realesrgan-x4plus' and rec['input'] == 'a.png' and rec['images'][0]['ops']
    assert load_image(out / 'a.png').shape == (1, 3, 16, 16)  # 64 / 4
    first = (out / 'sub' / 'b.png').read_bytes()
    (out / 'a.png').unlink()  # as if interrupted: only a is redone, identically seeded
    r = _rrlib('degrade', str(folder), str(out), '--preset', 'realesrgan-x4plus', '--seed', '3')
    assert 'degraded 1 image(s), 1 already done, 1 skipped' in r.stdout, r.stdout
    assert (out / 'sub' / 'b.png').read_bytes() == first
    assert not [p for p in out.rglob('*') if p.name.startswith('.')]  # no temporary files left behind


def test_single_file_type_and_errors(folder, tmp_path, capsys):
    assert main(['degrade', str(folder / 'a.png'), str(tmp_path / 'x.png'), '--type', 'haze', '--severity', '0.8']) == 0
    assert load_image(tmp_path / 'x.png').shape == (1, 3, 64, 64) and (tmp_path / 'x.json').is_file()
    assert main(['degrade', str(folder / 'broken.png'), str(tmp_path / 'y.png')]) == 2
    assert 'cannot read this image' in capsys.readouterr().err
    assert main(['degrade', str(folder / 'a.png'), str(tmp_path / 'y.png'), '--type', 'rain', '--severity', '1.5']) == 2
    assert 'severity must lie in [0, 1]' in capsys.readouterr().err
    assert main(['degrade', '--list']) == 0 and 'diffbir-v1' in capsys.readouterr().out


def test_config_file(folder, tmp_path):
    from rrlib.degradations import Compose
    from rrlib.degradations.types import get_type
    cfg = tmp_path / 'chain.json'
    cfg.write_text(json.dumps(Compose([get_type('blur', 0.3), get_type('compression', 0.6)]).to_dict()))
    assert main(['degrade', str(folder / 'a.png'), str(tmp_path / 'o'), '--config', str(cfg)]) == 0
    assert (tmp_path / 'o' / 'a.png').is_file()
