"rrlib eval end to end: outputs, resume after an interruption, corrupt files, bad input, missing weights."
import csv, json
from pathlib import Path
import numpy as np, pytest, skimage.data, torch
from PIL import Image
from rrlib.cli import main
import rrlib.evaluation.evaluate as E


def _folders(tmp_path, n=4, corrupt=()):
    "Generated references (skimage crops) and JPEG 'restorations'; names in `corrupt` get garbage bytes."
    ref, pred = tmp_path / 'ref', tmp_path / 'pred'
    ref.mkdir(); pred.mkdir()
    src = skimage.data.astronaut()
    for i in range(n):
        a = src[i * 40:i * 40 + 64, i * 30:i * 30 + 80]
        Image.fromarray(a).save(ref / f'im{i}.png')
        Image.fromarray(a).save(pred / f'im{i}.jpg', quality=30)
    for name in corrupt: (pred / f'{name}.jpg').write_bytes(b'\xff\xd8\xff garbage')
    return ref, pred


def _rows(path):
    with open(path) as f: return list(csv.DictReader(f))


def test_outputs_and_convention(tmp_path, capsys):
    ref, pred = _folders(tmp_path)
    out = tmp_path / 'res' / 'results.csv'
    assert main(['eval', '--pred', str(pred), '--ref', str(ref), '--metrics', 'psnr,ssim', '--convention', 'sr', '--scale', '2',
                 '--out', str(out), '--no-progress']) == 0
    rows = _rows(out)
    assert [r['image'] for r in rows] == ['im0', 'im1', 'im2', 'im3', 'mean']
    assert 20 < float(rows[-1]['psnr[sr-x2]']) < 40 and 0.5 < float(rows[-1]['ssim[sr-x2]']) <= 1  # each column names its convention
    assert abs(np.mean([float(r['psnr[sr-x2]']) for r in rows[:-1]]) - float(rows[-1]['psnr[sr-x2]'])) < 1e-4
    md = out.with_suffix('.md').read_text()
    assert 'psnr: Y (BT.601 YCbCr), crop 2, sizes: crop [sr-x2]' in md and '| psnr[sr-x2] | ssim[sr-x2] |' in md
    assert out.with_suffix('.png').stat().st_size > 1000


def test_default_convention_is_pyiqa_and_options_override_it(tmp_path):
    ref, pred = _folders(tmp_path, n=2)
    import pyiqa
    from rrlib.io import load_image
    assert main(['eval', '--pred', str(pred), '--ref', str(ref), '--metrics', 'ssim', '--out', str(tmp_path / 'a.csv'), '--no-progress']) == 0
    direct = pyiqa.create_metric('ssim', device='cpu')(load_image(pred / 'im0.jpg'), load_image(ref / 'im0.png')).item()
    assert abs(float(_rows(tmp_path / 'a.csv')[0]['ssim[pyiqa]']) - direct) < 1e-5  # a pyiqa name gives pyiqa's value
    assert main(['eval', '--pred', str(pred), '--ref', str(ref), '--metrics', 'ssim', '--y-channel', '--crop-border', '2',
                 '--out', str(tmp_path / 'b.csv'), '--no-progress']) == 0
    assert 'ssim[custom:y-crop2-error]' in _rows(tmp_path / 'b.csv')[0]


def test_resume_after_interruption(tmp_path, monkeypatch):
    ref, pred = _folders(tmp_path)
    out, calls = tmp_path / 'results.csv', []
    real = E.create_metric

    def counting(name, *a, **k):
        m = real(name, *a, **k); inner = m.net

        class Counted(torch.nn.Module):
            def forward(self, *x):
                calls.append(name)
                if len(calls) == 3 and interrupt: raise KeyboardInterrupt  # killed while scoring the third score
                return inner(*x)
        m.net = Counted(); return m

    monkeypatch.setattr(E, 'create_metric', counting)
    args = ['eval', '--pred', str(pred), '--ref', str(ref), '--metrics', 'psnr', '--out', str(out), '--no-progress']
    interrupt = True
    with pytest.raises(KeyboardInterrupt): main(args)
    assert len(calls) == 3 and not out.exists()  # nothing half-written
    interrupt, calls[:] = False, []
    assert main(args) == 0
    assert len(calls) == 2  # the two scores cached before the kill are not recomputed
    calls.clear(); assert main(args) == 0 and calls == []  # a finished run recomputes nothing
    assert len(_rows(out)) == 5


def test_cache_key_follows_convention_and_content(tmp_path):
    ref, pred = _folders(tmp_path, n=2)
    cache = tmp_path / 'c.jsonl'
    kw = dict(metrics=['psnr'], cache=cache, progress=False)
    a = E.Evaluation(pred, ref, **kw).run()
    b = E.Evaluation(pred, ref, convention=E.Convention('y'), **kw).run()
    assert a[0]['psnr'] != b[0]['psnr']  # another convention is another score, not a cache hit
    Image.fromarray(skimage.data.astronaut()[:64, :80]).save(pred / 'im0.jpg', quality=90)
    c = E.Evaluation(pred, ref, **kw).run()
    assert c[0]['psnr'] > a[0]['psnr'] and c[1]['psnr'] == a[1]['psnr']  # a changed file is rescored


def test_corrupt_file_reported_and_skipped(tmp_path, capsys):
    ref, pred = _folders(tmp_path, n=3, corrupt=['im1'])
    out = tmp_path / 'results.csv'
    assert main(['eval', '--pred', str(pred), '--ref', str(ref), '--metrics', 'psnr', '--out', str(out), '--no-progress']) == 0
    assert [r['image'] for r in _rows(out)] == ['im0', 'im2', 'mean']
    assert 'skipped' in capsys.readouterr().err and 'im1' in out.with_suffix('.md').read_text()


@pytest.mark.parametrize('extra, message', [
    (['--metrics', 'psnr'], 'full-reference metric: give --ref'),
    (['--metrics', 'psnrr', '--ref', 'X'], "did you mean psnr"),
    (['--metrics', 'niqe', '--judge', 'offline', '--task', 'noise'], 'give --input'),
    (['--metrics', 'lpips', '--ref', 'REF'], 'alexnet-owt-7be5be79.pth'),
    (['--input', 'REF', '--judge', 'offline', '--task', 'noise'], 'alexnet-owt-7be5be79.pth'),  # LPS = LPIPS-Alex by default
])
def test_bad_input_is_one_line(tmp_path, capsys, extra, message):
    ref, pred = _folders(tmp_path, n=1)
    extra = [str(ref) if e == 'REF' else e for e in extra]
    rc = main(['eval', '--pred', str(pred), *extra, '--out', str(tmp_path / 'r.csv'), '--no-progress', '--weights-dir', str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and len(err.splitlines()) == 1 and 'Traceback' not in err


def test_per_type_subfolders(tmp_path):
    "FoundIR style: one subfolder per degradation type gives a per-type table."
    ref, pred = _folders(tmp_path, n=4)
    for sub, names in (('noise', ('im0', 'im1')), ('blur', ('im2', 'im3'))):
        for d in (ref, pred):
            (d / sub).mkdir()
            for n in names:
                for f in d.glob(f'{n}.*'): f.rename(d / sub / f.name)
    out = tmp_path / 'r.csv'
    assert main(['eval', '--pred', str(pred), '--ref', str(ref), '--metrics', 'psnr', '--out', str(out), '--no-progress']) == 0
    md = out.with_suffix('.md').read_text()
    assert '## Per subfolder' in md and '| blur | 2 |' in md and '| noise | 2 |' in md
