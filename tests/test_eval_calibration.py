"""Calibration: a metric under a pyiqa name, through `rrlib eval --convention pyiqa`, gives what pyiqa gives.

1. Always: a small distorted/reference set generated here from scikit-image photos (noise, blur, JPEG, a tone
   change), scored by `rrlib eval` and by `pyiqa.create_metric(name)` called directly on the same files.
2. When `$RRLIB_PYIQA_CALIBRA` names pyiqa's `ResultsCalibra` folder (from github.com/chaofengc/IQA-PyTorch; not
   shipped): `rrlib eval` on its `dist_dir` / `ref_dir` against the "(ours)" rows of `calibration_summary.csv`,
   within 0.5 % (or the CSV's 4-decimal rounding for values near 0). Run with `-s` to see the table.
"""
import csv, io, os, warnings
from pathlib import Path
import numpy as np, pytest, skimage.data, torch
from PIL import Image
from rrlib.cli import main
from rrlib.io import load_image
from rrlib.evaluation.metrics import niqe_params_mat

OFFLINE_FR = ('psnr', 'ssim', 'ms_ssim', 'fsim', 'vif', 'gmsd', 'cw_ssim', 'mad', 'nlpd', 'vsi')
OFFLINE_NR = ('niqe', 'piqe', 'entropy')
CALIBRA = os.environ.get('RRLIB_PYIQA_CALIBRA')


def _distorted_set(root:Path) -> tuple[Path, Path]:
    "ref/NAME.png and dist/NAME.png: four distortions of three photo crops (192 px: MS-SSIM needs 161)."
    ref, dist = root / 'ref', root / 'dist'
    ref.mkdir(); dist.mkdir()
    g = np.random.default_rng(0)
    for n in ('astronaut', 'coffee', 'chelsea'):
        a = getattr(skimage.data, n)()[:192, :192]
        f = a.astype(np.float64)
        blur = np.asarray(Image.fromarray(a).resize((48, 48), Image.BICUBIC).resize((192, 192), Image.BICUBIC))
        out = {'noise': np.clip(f + g.normal(0, 20, f.shape), 0, 255), 'blur': blur, 'tone': 255 * (f / 255) ** 1.8}
        for k, v in out.items():
            Image.fromarray(a).save(ref / f'{n}_{k}.png'); Image.fromarray(v.round().astype(np.uint8)).save(dist / f'{n}_{k}.png')
        Image.fromarray(a).save(ref / f'{n}_jpeg.png')
        buf = io.BytesIO(); Image.fromarray(a).save(buf, 'JPEG', quality=8); Image.open(buf).save(dist / f'{n}_jpeg.png')
    return ref, dist


def _rrlib_eval(dist:Path, ref:Path, out:Path) -> dict[str, dict[str, float]]:
    "image -> metric -> value, from `rrlib eval --convention pyiqa`'s CSV."
    assert main(['eval', '--pred', str(dist), '--ref', str(ref), '--metrics', ','.join(OFFLINE_FR + OFFLINE_NR),
                 '--convention', 'pyiqa', '--out', str(out), '--no-progress']) == 0
    rows = list(csv.DictReader(open(out)))
    assert all(k == 'image' or k.endswith('[pyiqa]') for k in rows[0])  # every column says it is pyiqa's convention
    return {r['image']: {k.split('[')[0]: float(v) for k, v in r.items() if k != 'image'} for r in rows if r['image'] != 'mean'}


def _pyiqa_direct(name:str):
    import pyiqa
    return pyiqa.create_metric(name, device='cpu', **({'pretrained_model_path': niqe_params_mat()} if name == 'niqe' else {}))


def test_rrlib_pyiqa_names_equal_pyiqa_on_generated_set(tmp_path):
    ref, dist = _distorted_set(tmp_path)
    ours = _rrlib_eval(dist, ref, tmp_path / 'r.csv')
    assert len(ours) == 12
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for name in OFFLINE_FR + OFFLINE_NR:
            m = _pyiqa_direct(name)
            for img, scores in ours.items():
                x = load_image(dist / f'{img}.png')
                v = (m(x, load_image(ref / f'{img}.png')) if name in OFFLINE_FR else m(x)).item()
                assert abs(scores[name] - v) <= 1e-5 * max(1, abs(v)), (name, img, scores[name], v)  # the CSV keeps 6 digits


def calibra_table(folder:Path, out:Path) -> list[tuple[str, str, float, float, float]]:
    "(metric, image, rrlib, pyiqa '(ours)', relative difference) for every offline metric on ResultsCalibra."
    ours = {r[0]: r[1:] for r in csv.reader(open(folder / 'calibration_summary.csv'))}
    head = next(csv.reader(open(folder / 'calibration_summary.csv')))[1:]
    got = _rrlib_eval(folder / 'dist_dir', folder / 'ref_dir', out)
    rows = []
    for name in OFFLINE_FR + OFFLINE_NR:
        for img, theirs in zip(head, ours[f'{name}(ours)']):
            v, t = got[Path(img).stem][name], float(theirs)
            rows.append((name, Path(img).stem, v, t, (v - t) / abs(t) if t else float('inf')))
    return rows


@pytest.mark.skipif(not CALIBRA, reason='set $RRLIB_PYIQA_CALIBRA to pyiqa\'s ResultsCalibra folder to run')
def test_results_calibra_within_half_a_percent(tmp_path, capsys):
    rows = calibra_table(Path(CALIBRA), tmp_path / 'calibra.csv')
    with capsys.disabled():
        print('\n| metric | image | rrlib | pyiqa (ours) | rel. diff |\n|---|---|---|---|---|')
        for n, i, v, t, d in rows: print(f"| {n} | {i} | {v:.4f} | {t:.4f} | {100 * d:+.3f} % |")
    bad = [r for r in rows if not (abs(r[4]) <= 0.005 or abs(r[2] - r[3]) <= 5e-5)]  # the CSV rounds to 4 decimals
    assert not bad, bad
    rc = main(['eval', '--pred', str(Path(CALIBRA) / 'dist_dir'), '--metrics', 'brisque', '--out', str(tmp_path / 'b.csv'), '--no-progress'])
    if rc == 0:  # pyiqa's brisque weights are on disk: then it must match too
        got = {r['image']: float(r['brisque[pyiqa]']) for r in csv.DictReader(open(tmp_path / 'b.csv')) if r['image'] != 'mean'}
        ours = dict(zip(next(csv.reader(open(Path(CALIBRA) / 'calibration_summary.csv')))[1:], {r[0]: r[1:] for r in csv.reader(open(Path(CALIBRA) / 'calibration_summary.csv'))}['brisque(ours)']))
        assert all(abs(got[Path(k).stem] - float(v)) <= 0.005 * abs(float(v)) + 5e-5 for k, v in ours.items())
    else: assert 'brisque_svm_weights.pth' in capsys.readouterr().err
